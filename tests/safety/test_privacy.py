"""Privacy: the conversations of tests/safety/conversations/privacy.yaml (full paths, volunteered symptoms,
durations, "I don't know", explain a cause, speech rate, stop mid-way and resume, delete my data), played with DEBUG
logging captured for every logger, through each persistence the product ships (DynamoDB through
``adapter_from_env`` on moto, and the embedded SQLite store) and through the Lambda's entry point.

Asserted: no log record (message, args, exception text) carries a slot value, a spoken answer, an answer code,
a user id, a device id, a session id, a request id or the access token; persisted records hold only codes
(knowledge ids, disposition ids, ISO dates and durations, the state's v/kb/events/carried structure, the rate),
the partition key and the TTL attribute.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hosting.sqlite_persistence import SqlitePersistenceAdapter
from skill import build_skill
from skill.persistence import ResilientPersistence, adapter_from_env
from tests import conversations
from tests.conversations import Conversation, Turn
from tests.persistence.helpers import TABLE
from triage import engine
from triage.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
KB = load_knowledge()
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
ISO_DURATION = re.compile(r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
                          r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$", re.ASCII)

# Product loggers, and (with root) the AWS/HTTP libraries underneath. moto is the test double: left out.
PRODUCT_LOGGERS = ["skill", "triage", "tools", "lambda_function", "ask_sdk_core", "ask_sdk_runtime",
                   "ask_sdk_model", "ask_sdk_dynamodb"]
LIBRARY_LOGGERS = ["", "botocore", "boto3", "urllib3", "s3transfer"]  # "" = root

# Conversations, one Alexa user each (user ids differ so every stored record is checked).
# People who said "remember me" may have health fields stored; nobody else may (issue 12: consent before memory).
PRIVACY = ROOT / "tests" / "safety" / "conversations" / "privacy.yaml"
CASES = {case["name"]: case for case in conversations.load(PRIVACY)}
CONSENTING = {"stenosis_full_path", "temporary_then_last_time", "stopped_midway_then_resumed_then_stopped",
              "unfinished_left_stored"}
STORING = CONSENTING | {"volunteered_and_unknowns", "declined_memory"}  # rate / consent only for the last two
EXPECT_STORED = {"interview", "rate", "last", "consent"}  # across all records, each kind appears at least once
HEALTH = {"interview", "last"}


def _user(name: str) -> str:
    return f"amzn1.ask.account.PRIVACY-{name.upper().replace('_', '-')}"


def _secrets(turns: list[Turn]) -> set[str]:
    """What must never be logged: ids, tokens, what was said (utterances, slot values) and the answer codes."""
    found: set[str] = set()
    for turn in turns:
        event, reply = turn.event, turn.raw
        system = event["context"]["System"]
        found |= {system["user"]["userId"], system["device"]["deviceId"], system["apiAccessToken"],
                  event["request"]["requestId"]}
        if "session" in event:
            found.add(event["session"]["sessionId"])
        for slot in ((event["request"].get("intent") or {}).get("slots") or {}).values():
            if slot.get("value"):
                found.add(slot["value"])
            for authority in (slot.get("resolutions") or {}).get("resolutionsPerAuthority") or []:
                found |= {v["value"]["id"] for v in authority.get("values") or []}
        state = (reply.get("sessionAttributes") or {}).get("interview") or {}
        for e in state.get("events") or []:  # the answers (not the question id): values, volunteered findings
            answers = e[2:] if e[0] == "a" else e[1:] if e[0] in ("v", "d") else []
            found |= {str(a) for a in answers if a not in ("yes", "no")}
        found |= set(state.get("carried") or [])
    found |= {t.words for t in turns if t.words and len(t.words) > 3 and t.words not in ("stop", "yeah", "nope")}
    return {s for s in found if len(s) >= 3}


def _leaks(records: list[logging.LogRecord], secrets: set[str]) -> list[str]:
    leaks = []
    for r in records:
        if r.name.startswith("moto"):
            continue
        text = f"{r.getMessage()} {r.args!r} {r.exc_text or ''}".lower()
        leaks += [f"{r.name}: {s!r} in {text[:300]!r}" for s in secrets if s.lower() in text]
    return leaks


def _debug_everything(caplog: pytest.LogCaptureFixture, names: list[str]) -> None:
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name or None)


def _play(case: dict[str, Any], persistence: Any = None, transport: Any = None) -> list[Turn]:
    """One conversation, as its own Alexa user, checking its result and, with a store, what it expects to hear (what
    it expects stored is checked by tests/skill/test_conversations.py, on SQLite); no turn is the skill's error
    answer."""
    conv = Conversation(skill=build_skill(persistence_adapter=persistence), locale=case.get("locale", "en-US"),
                        user_id=_user(case["name"]), transport=transport)
    remembers = persistence is not None or transport is not None
    steps = [{**step, "expect": {k: v for k, v in step.get("expect", {}).items() if k != "stored" and remembers}}
             for step in case["steps"]]
    conversations.run({**case, "steps": steps}, conv)
    assert not [t for t in conv.turns if "something went wrong" in t.speech], conv.transcript()
    return conv.turns


def _run_all(persistence: Any) -> tuple[set[str], int]:
    secrets: set[str] = set()
    turns = 0
    for case in CASES.values():
        played = _play(case, persistence)
        secrets |= _secrets(played)
        turns += len(played)
    return secrets, turns


def _check_codes_only(record: dict[str, Any]) -> set[str]:
    """Every value in a stored record is a code; returns the kinds present."""
    assert set(record) <= EXPECT_STORED, record
    questions = KB.questions_by_id
    if "interview" in record:
        state = record["interview"]
        assert set(state) <= {"v", "kb", "events", "carried"} and state["v"] == engine.STATE_VERSION
        assert state["kb"] == KB.version
        for event in state["events"]:
            kind, qid = event[0], event[1]
            if kind == "a":
                q = questions[qid]
                allowed = {"yes", "no"} | {o.id for o in q.options}
                for value in event[2:]:  # several option ids for a choice marked `multiple`
                    assert value in allowed or (q.type == "duration" and ISO_DURATION.match(value)), event
                assert len(event) == 3 or q.multiple, event
            elif kind == "u":
                assert qid in questions and len(event) == 2, event
            elif kind == "d":  # the code of the one sign said of a compound finding ("fever")
                assert len(event) == 3 and event[2] in KB.findings[qid].details, event
            else:
                assert kind == "v" and qid in KB.findings and len(event) == 2, event
        assert all(f in KB.findings and KB.findings[f].red_flag for f in state.get("carried", [])), state
    if "rate" in record:
        assert record["rate"] in ("slower", "faster"), record
    if "consent" in record:
        assert isinstance(record["consent"], bool), record
    if "last" in record:
        last = record["last"]
        assert set(last) == {"disposition", "categories", "date"}, last
        assert last["disposition"] in KB.dispositions and ISO_DATE.match(last["date"]), last
        assert set(last["categories"]) <= {c.id for c in KB.categories}, last
    return set(record)


# --- logs ----------------------------------------------------------------------------------------------------------

def test_no_personal_data_in_product_logs_without_persistence(caplog):
    _debug_everything(caplog, PRODUCT_LOGGERS + LIBRARY_LOGGERS)
    secrets, turns = _run_all(None)
    assert turns > 60 and len(secrets) > 60
    assert caplog.records, "the skill logs event names"
    assert _leaks(caplog.records, secrets) == []


def test_no_personal_data_in_logs_or_sqlite_records(caplog, tmp_path):
    _debug_everything(caplog, PRODUCT_LOGGERS + LIBRARY_LOGGERS)
    store = SqlitePersistenceAdapter(tmp_path / "skill.sqlite3")
    try:
        secrets, _ = _run_all(ResilientPersistence(store))
    finally:
        store.close()
    assert _leaks(caplog.records, secrets) == []
    with contextlib.closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db:
        rows = db.execute("SELECT owner, field, value, stamp, expires FROM fields").fetchall()
    users = {_user(name) for name in CASES}
    records: dict[str, dict[str, Any]] = {}
    for owner, field, value, stamp, expires in rows:
        assert owner in users and isinstance(expires, int) and expires > 0 and isinstance(stamp, int)
        if value is not None:  # None: a removed field's stamp
            records.setdefault(owner, {})[_kind(field)] = json.loads(value)
    kinds: set[str] = set()
    for owner, record in records.items():
        kinds |= _check_codes_only(record)
        _check_consent(owner, record)
    assert kinds == EXPECT_STORED, kinds
    assert _user("deleted") not in {r[0] for r in rows}, "delete my data leaves nothing"
    assert set(records) == {_user(name) for name in STORING}


def _kind(field: str) -> str:
    """A stored field's kind: ``interview.<device hash>`` is an interview."""
    kind = field.split(".", 1)[0]
    assert field == kind or (kind == "interview" and re.fullmatch(r"interview\.([0-9a-f]{16}|-)", field)), field
    return kind


def _check_consent(user_id: str, record: dict[str, Any]) -> None:
    """No health field for anyone who did not say yes to being remembered."""
    name = next(n for n in CASES if _user(n) == user_id)
    if name not in CONSENTING:
        assert not HEALTH & set(record), f"{name}: health stored without consent: {sorted(record)}"
    if name == "declined_memory":
        assert record == {"consent": False}, record


def _items(resource: Any) -> list[dict[str, Any]]:
    from skill.persistence import from_decimal

    return [from_decimal(item) for item in resource.Table(TABLE).scan()["Items"]]


def _check_items(items: list[dict[str, Any]], require_ttl: bool = True) -> None:
    users = {_user(name) for name in CASES}
    kinds: set[str] = set()
    for item in items:
        assert item["id"] in users, item
        assert all(k in ("id", "ttl") or k.startswith(("v.", "t.")) for k in item), item
        assert all(isinstance(v, int) for k, v in item.items() if k.startswith("t.")), item
        if require_ttl:
            assert isinstance(item.get("ttl"), int) and item["ttl"] > 0, f"no TTL on the stored record: {item}"
        record = {_kind(k[2:]): v for k, v in item.items() if k.startswith("v.")}
        kinds |= _check_codes_only(record)
        _check_consent(item["id"], record)
    assert kinds == EXPECT_STORED, kinds
    assert _user("deleted") not in {i["id"] for i in items}
    assert {i["id"] for i in items} == {_user(name) for name in STORING}


def test_no_personal_data_in_product_logs_or_dynamodb_records(caplog, dynamodb):
    """Product loggers at DEBUG, root and the AWS libraries at their default (WARNING): what a Lambda with
    LOG_LEVEL=DEBUG emits."""
    _debug_everything(caplog, PRODUCT_LOGGERS)
    adapter = adapter_from_env()  # TABLE_NAME is set: the DynamoDB adapter the Lambda uses
    assert adapter is not None
    secrets, _ = _run_all(ResilientPersistence(adapter))
    assert _leaks(caplog.records, secrets) == []
    _check_items(_items(dynamodb))


def test_no_personal_data_in_any_log_with_dynamodb_even_botocore_at_debug(caplog, dynamodb):
    _debug_everything(caplog, PRODUCT_LOGGERS + LIBRARY_LOGGERS)
    adapter = adapter_from_env()
    secrets, _ = _run_all(ResilientPersistence(adapter))
    assert _leaks(caplog.records, secrets) == []


def test_the_lambda_entry_point_stores_codes_only_with_a_ttl(dynamodb, caplog):
    """The deployed wiring (lambda_function with TABLE_NAME set), not a hand-built adapter: records carry the TTL
    and codes only. (Was a defect until 91be3b5: the Lambda stored records without ``ttl``.)"""
    _debug_everything(caplog, PRODUCT_LOGGERS)
    spec = importlib.util.spec_from_file_location("lambda_function_privacy", ROOT / "lambda" / "lambda_function.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # a fresh copy: builds its skill from the environment (TABLE_NAME set)
    for case in CASES.values():
        _play(case, transport=lambda event: module.lambda_handler(event, None))
    items = _items(dynamodb)
    assert items, "the Lambda stored nothing"
    _check_items(items, require_ttl=True)
    secrets = {_user(name) for name in CASES} | {conversations.DEVICE_ID}
    assert _leaks(caplog.records, secrets) == []
