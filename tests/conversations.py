"""Conversations as data: the one format for conversation tests (tests/*/conversations/*.yaml), run through the
real skill with real envelopes (tools.alexa_requests) by ``run``.

    - name: a person who says no to being remembered keeps nothing     # unique in its file
      locale: en-GB                  # default en-US
      store: sqlite                  # keep records between sessions (a fresh SQLite file); default: none
      steps:
        - say: launch                # the launch; "new_session" ends the session as Alexa would
        - say: AMAZON.NoIntent       # an intent as Alexa resolved it (a name ending in Intent, or AMAZON.*) ...
          slots: {area: {value: bum, id: buttocks_hip_groin}}    # ... with slots in short form (below)
        - say: my legs feel weak     # ... or words, through the local NLU over the generated model (as bin/simulate)
        - say: request               # a raw request body
          request: {type: SessionEndedRequest, reason: ERROR}
        - say: SessionEndedRequest   # reason: ..., error: {...}
      each step may have   expect: {speech: [fragments], speech_not: [...], speech_starts: "...",
                                     reprompt: [...], card: [...], no_card: true, silent: true, end: true|false,
                                     attributes: {name: value}, stored: {field: value | present | absent}}

Slot short form: "P2W" (a raw value, built-in types), {value, id} (ER_SUCCESS_MATCH), {value, no_match: true}
(ER_SUCCESS_NO_MATCH), null (missing). ``stored`` reads the record the store keeps for the person (codes only).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import yaml

INTENT_NAME = re.compile(r"^(AMAZON\.[A-Za-z]+|[A-Z][A-Za-z]*Intent)$")
KEYS = {"name", "locale", "store", "steps"}
EXPECT_KEYS = {"speech", "speech_not", "speech_starts", "reprompt", "card", "no_card", "silent", "end", "attributes",
               "stored"}


def load(path: Path) -> list[dict[str, Any]]:
    cases = list(yaml.safe_load(path.read_text(encoding="utf-8")))
    for case in cases:
        assert set(case) <= KEYS, f"{path.name}: {case.get('name')}: unknown keys {set(case) - KEYS}"
        for step in case["steps"]:
            assert set(step.get("expect", {})) <= EXPECT_KEYS, f"{case['name']}: {step}"
    return cases


def load_all(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(id, case) for every conversation file under root/*/conversations/."""
    return [(f"{p.parent.parent.name}/{p.stem}:{c['name']}", c)
            for p in sorted(root.glob("*/conversations/*.yaml")) for c in load(p)]


def send(conv: Any, step: dict[str, Any]) -> Any:
    say = step["say"]
    if say == "launch":
        return conv.launch()
    if say == "new_session":
        conv.end_session()
        return None
    if say == "SessionEndedRequest":
        return conv.session_ended(step.get("reason", "USER_INITIATED"), step.get("error"))
    if say == "request":
        return conv.send(step["request"])
    if INTENT_NAME.match(say):
        return conv.intent(say, step.get("slots"))
    return conv.hear(say)


def check(turn: Any, expect: dict[str, Any], where: str, stored: Callable[[], dict[str, Any]] | None,
          attributes: dict[str, Any]) -> None:
    speech, reprompt, card = turn.speech.lower(), turn.reprompt.lower(), turn.card.lower()
    for fragment in expect.get("speech", []):
        assert fragment.lower() in speech, f"{where}: {fragment!r} not in speech {turn.speech!r}"
    for fragment in expect.get("speech_not", []):
        assert fragment.lower() not in speech, f"{where}: {fragment!r} unexpectedly in {turn.speech!r}"
    if "speech_starts" in expect:
        assert speech.startswith(expect["speech_starts"].lower()), f"{where}: speech starts {turn.speech!r}"
    for fragment in expect.get("reprompt", []):
        assert fragment.lower() in reprompt, f"{where}: {fragment!r} not in reprompt {turn.reprompt!r}"
    for fragment in expect.get("card", []):
        assert fragment.lower() in card, f"{where}: {fragment!r} not in card {turn.card!r}"
    if expect.get("no_card"):
        assert not card, f"{where}: unexpected card"
    if expect.get("silent"):
        assert not speech, f"{where}: expected no speech, got {turn.speech!r}"
    elif expect:
        assert speech, f"{where}: no speech"
    if "end" in expect:
        assert turn.ended is expect["end"], f"{where}: shouldEndSession {turn.ended}"
    for name, value in expect.get("attributes", {}).items():
        assert attributes.get(name) == value, f"{where}: session attribute {name}={attributes.get(name)!r}"
    if "stored" in expect:
        assert stored is not None, f"{where}: 'stored' needs 'store: sqlite'"
        record = stored()
        for name, value in expect["stored"].items():
            if value == "absent":
                assert name not in record, f"{where}: {name} stored: {sorted(record)}"
            elif value == "present":
                assert name in record, f"{where}: {name} not stored: {sorted(record)}"
            else:
                assert record.get(name) == value, f"{where}: stored {name}={record.get(name)!r}"


def run(case: dict[str, Any], conv: Any, stored: Callable[[], dict[str, Any]] | None = None) -> None:
    """Play the case's steps on ``conv`` (tests.skill.conftest.Conversation) and check every expectation."""
    for i, step in enumerate(case["steps"]):
        turn = send(conv, step)
        if turn is not None:
            check(turn, step.get("expect", {}), f"{case['name']} step {i + 1} ({step['say']})", stored,
                  conv.attributes)


def stored_record(db: Path) -> dict[str, Any]:
    """The fields an SQLite store (hosting.sqlite_persistence) holds with a value, by name (any device's interview
    as "interview"): what ``expect.stored`` reads."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT field, value FROM fields WHERE value IS NOT NULL").fetchall()
    return {field.split(".", 1)[0]: json.loads(value) for field, value in rows}
