"""Conversations as data: the one format for conversation tests (``tests/*/conversations/*.yaml``), and the player
that runs them through the real skill with real envelopes (the one request builder, ``tools.alexa_requests``).

    - name: a person who says no to being remembered keeps nothing     # unique in its file
      locale: en-GB                  # default en-US
      store: sqlite                  # keep records between sessions (a fresh SQLite file); default: none
      steps:
        - say: launch                # the launch; "new_session" ends the session as Alexa would
        - say: AMAZON.NoIntent       # an intent as Alexa resolved it (a name ending in Intent, or AMAZON.*) ...
          slots: {area: {value: bum, id: buttocks_hip_groin}}    # ... with slots in short form (below)
        - say: my legs feel weak     # ... or words, through the local NLU over the generated model (as bin/simulate)
        - no                         # a step that is only words (or an intent name) may be written bare
        - say: request               # a raw request body
          request: {type: SessionEndedRequest, reason: ERROR}
        - say: SessionEndedRequest   # reason: ..., error: {...}
      result: {disposition: routine, category: nerve_compression, cause: spinal_stenosis}    # optional, below
      basis: {article: "<a verbatim sentence>"}   # optional: what the expected result rests on (tests/safety)
      xfail: "<the defect>"          # optional: a known defect, reported; the case must fail (strict) until fixed

      each step may have   expect: {speech: [fragments], speech_not: [...], speech_starts: "...",
                                     reprompt: [...], card: [...], no_card: true, silent: true, end: true|false,
                                     attributes: {name: value}, stored: {field: value | present | absent}}

A patient story is a case whose steps are its utterances in a flow list (``steps: [open back numbness helper, no,
...]``) and whose ``result`` says what the last advice card of the conversation must be: the disposition, the
leading cause category ("none" when the card says no single cause stands out) and, when given, the top specific
cause. Files are read with YAML 1.2 booleans (only true/false): a bare ``no``, ``yes``, ``on`` or ``off`` is the
words people say.

Slot short form: "P2W" (a raw value, built-in types), {value, id} (ER_SUCCESS_MATCH), {value, no_match: true}
(ER_SUCCESS_NO_MATCH), null (missing). ``stored`` reads the record the store keeps for the person (codes only).
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from skill import invoke
from skill.speech import breaths, ssml_to_text
from tools import alexa_requests as requests
from triage.knowledge import Knowledge, load_knowledge

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER0000000000000000000000000000000000"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE000000000000000000000000000000000"
AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # requests are sent at a fixed time: dates in answers repeat
_counter = itertools.count()
_serializer = DefaultSerializer()


def slot_json(name: str, spec: Any) -> dict[str, Any]:
    """A slot as Alexa sends it, from the conversation files' short form: a raw value string (built-in types),
    {value, id} for ER_SUCCESS_MATCH, {value, no_match: true} for ER_SUCCESS_NO_MATCH, or None (missing)."""
    if spec is None or isinstance(spec, str):
        return requests.slot(name, spec)
    return requests.slot(name, spec["value"], spec.get("id"), no_match=bool(spec.get("no_match")),
                         resolved_name=spec.get("name"), skill_id=SKILL_ID)


def envelope(request: dict[str, Any], attributes: dict[str, Any] | None, new: bool, session_id: str,
             locale: str, user_id: str = USER_ID, person_id: str | None = None) -> dict[str, Any]:
    """The one request builder (tools.alexa_requests), at a fixed time so that dates in answers are repeatable."""
    request = {"requestId": requests.request_id(), "timestamp": requests.timestamp(AT), "locale": locale, **request}
    caller = requests.Caller(locale=locale, user_id=user_id, skill_id=SKILL_ID, device_id=DEVICE_ID,
                             person_id=person_id)
    return requests.envelope(request, caller, requests.Session(session_id, new, attributes or {}))


@dataclass
class Turn:
    raw: dict[str, Any]  # the response envelope
    event: dict[str, Any] = field(default_factory=dict)  # the request envelope it answered
    words: str | None = None  # what the person said, when the turn was heard through the NLU
    new: bool = False  # the request opened a new session

    @property
    def request(self) -> dict[str, Any]:
        return dict(self.event.get("request") or {})

    @property
    def intent(self) -> str:
        """The intent name the request carried, or the request type."""
        return str((self.request.get("intent") or {}).get("name") or self.request.get("type", ""))

    @property
    def slot_ids(self) -> dict[str, str]:
        """Slot name -> the resolved value id (ER_SUCCESS_MATCH), for the slots that have one."""
        slots = (self.request.get("intent") or {}).get("slots") or {}
        return {name: ids[0] for name, slot in slots.items() if (ids := requests.resolved_ids(slot))}

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.raw.get("response") or {})

    @property
    def speech(self) -> str:
        return ssml_to_text((self.response.get("outputSpeech") or {}).get("ssml", ""))

    @property
    def ssml(self) -> str:
        return str((self.response.get("outputSpeech") or {}).get("ssml", ""))

    @property
    def reprompt(self) -> str:
        return ssml_to_text(((self.response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""))

    @property
    def card(self) -> str:
        card = self.response.get("card") or {}
        return f"{card.get('title', '')}\n{card.get('content', '')}".strip()

    @property
    def ended(self) -> bool:
        return bool(self.response.get("shouldEndSession"))


@dataclass
class Conversation:
    """A session with a skill: carries session attributes like Alexa, starts new sessions on request."""

    skill: Any
    locale: str = "en-US"
    user_id: str = USER_ID
    person_id: str | None = None  # a speaker Alexa recognised (context.System.person)
    attributes: dict[str, Any] = field(default_factory=dict)
    new: bool = True
    session_id: str = "amzn1.echo-api.session.1"
    turns: list[Turn] = field(default_factory=list)
    transport: Any = None  # event -> reply; default: the skill in process, through skill.invoke as the Lambda does

    def send(self, request: dict[str, Any], words: str | None = None) -> Turn:
        event = envelope(request, self.attributes, self.new, self.session_id, self.locale, self.user_id,
                         self.person_id)
        raw = (self.transport or (lambda e: invoke(self.skill, e)))(copy.deepcopy(event))
        # every response must deserialise as an ask_sdk_model ResponseEnvelope
        parsed = _serializer.deserialize(json.dumps(raw), ResponseEnvelope)
        assert isinstance(parsed, ResponseEnvelope)
        turn = Turn(raw, event, words, new=self.new)
        self.turns.append(turn)
        self.new = False
        self.attributes = raw.get("sessionAttributes") or {}
        if turn.ended or request["type"] == "SessionEndedRequest":
            self.end_session()
        return turn

    def end_session(self) -> None:
        self.attributes = {}
        self.new = True
        self.session_id = f"amzn1.echo-api.session.{next(_counter)}"

    def launch(self) -> Turn:
        return self.send(requests.launch(self.locale, at=AT))

    def intent(self, name: str, slots: dict[str, Any] | None = None) -> Turn:
        slot_map = {k: slot_json(k, v) for k, v in (slots or {}).items()}
        return self.send(requests.intent(name, slot_map, self.locale, "STARTED" if self.new else "IN_PROGRESS",
                                         at=AT))

    def hear(self, words: str) -> Turn:
        """Words, understood by the local NLU over the generated model (tools.nlu), sent as Alexa would."""
        understood = _nlu(self.locale).understand(words)
        if understood.new_session and not self.new:
            self.end_session()
        if understood.request_type == "LaunchRequest":
            return self.send(requests.launch(self.locale, at=AT), words)
        if understood.request_type == "SessionEndedRequest":
            return self.send(requests.session_ended(understood.reason or "USER_INITIATED", self.locale, at=AT), words)
        dialog_state = "STARTED" if self.new else "IN_PROGRESS"
        name = understood.intent or "AMAZON.FallbackIntent"
        return self.send(requests.intent(name, understood.slots, self.locale, dialog_state, at=AT), words)

    def transcript(self) -> str:
        """What was said and heard, turn by turn: "> words [Intent slot=id]" then "Alexa: speech"."""
        lines = []
        for t in self.turns:
            slots = " ".join(f"{k}={v}" for k, v in sorted(t.slot_ids.items()))
            lines.append(f"> {t.words or t.intent} [{t.intent}{' ' + slots if slots else ''}]")
            lines.append(f"Alexa: {t.speech}")
        return "\n".join(lines)

    def yes(self) -> Turn:
        return self.intent("AMAZON.YesIntent")

    def no(self) -> Turn:
        return self.intent("AMAZON.NoIntent")

    def session_ended(self, reason: str = "USER_INITIATED", error: dict[str, str] | None = None) -> Turn:
        return self.send(requests.session_ended(reason, self.locale, error, at=AT))


@functools.cache
def _nlu(locale: str) -> Any:
    from tools.nlu import LocalNlu

    return LocalNlu.for_locale(locale, skill_id=SKILL_ID)



INTENT_NAME = re.compile(r"^(AMAZON\.[A-Za-z]+|[A-Z][A-Za-z]*Intent)$")
KEYS = {"name", "locale", "store", "steps", "result", "basis", "xfail"}
RESULT_KEYS = {"disposition", "category", "cause"}
EXPECT_KEYS = {"speech", "speech_not", "speech_starts", "reprompt", "card", "no_card", "silent", "end", "attributes",
               "stored"}


class _Yaml12(yaml.SafeLoader):
    """YAML with 1.2 booleans: only true/false; "no", "yes", "on", "off" stay the words people say."""


_Yaml12.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def load(path: Path) -> list[dict[str, Any]]:
    cases = list(yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12))
    for case in cases:
        assert set(case) <= KEYS, f"{path.name}: {case.get('name')}: unknown keys {set(case) - KEYS}"
        assert set(case.get("result", {})) <= RESULT_KEYS, f"{case['name']}: result {case['result']}"
        case["steps"] = [{"say": step} if isinstance(step, str) else step for step in case["steps"]]
        for step in case["steps"]:
            assert isinstance(step.get("say"), str), f"{case['name']}: {step}"
            assert set(step.get("expect", {})) <= EXPECT_KEYS, f"{case['name']}: {step}"
    return cases


def load_all(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(id, case) for every conversation file under root/*/conversations/."""
    return [(f"{p.parent.parent.name}/{p.stem}:{c['name']}", c)
            for p in sorted(root.glob("*/conversations/*.yaml")) for c in load(p)]


def send(conv: Conversation, step: dict[str, Any]) -> Turn | None:
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


def check(turn: Turn, expect: dict[str, Any], where: str, stored: Callable[[], dict[str, Any]] | None,
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


def play(case: dict[str, Any], conv: Conversation, stored: Callable[[], dict[str, Any]] | None = None) -> None:
    """Play the case's steps on ``conv`` and check every step's expectation (not the case's ``result``)."""
    for i, step in enumerate(case["steps"]):
        turn = send(conv, step)
        if turn is not None:
            check(turn, step.get("expect", {}), f"{case['name']} step {i + 1} ({step['say']})", stored,
                  conv.attributes)


def run(case: dict[str, Any], conv: Conversation, stored: Callable[[], dict[str, Any]] | None = None) -> None:
    """Play the case and check everything it expects, its ``result`` included."""
    play(case, conv, stored)
    if "result" in case:
        got = result_of(conv.turns)
        expected = case["result"]
        assert got is not None, f"{case['name']}: no advice was given\n{conv.transcript()[-1500:]}"
        assert got.consistent, f"{case['name']}: the card and the session's `last` disagree"
        seen = {"disposition": got.disposition, "category": got.category, "cause": got.cause}
        wrong = {k: (v, seen[k]) for k, v in expected.items() if seen[k] != v}
        assert not wrong, f"{case['name']}: expected -> got {wrong}\n{conv.transcript()[-1500:]}"


# -- the advice a conversation ended with ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Advice:
    """What the last advice card of a conversation says."""

    disposition: str | None  # None: the headline matched no disposition (or more than one)
    category: str  # the leading cause category, or "none"
    cause: str | None  # the first cause of the first "Likely causes" line, when it names one "most likely"
    consistent: bool  # the card and the session attribute `last` agree


@functools.cache
def _kb() -> Knowledge:
    return load_knowledge()


def _cause_id(line: str, kb: Knowledge) -> str | None:
    """The first cause a card's "- <Category>, most likely: <cause>, ..." line names."""
    marker = "most likely: "
    if marker not in line:
        return None
    listed = line.split(marker, 1)[1].split(" (because", 1)[0].strip().lower()
    for cause in sorted(kb.causes.values(), key=lambda c: -len(c.name)):  # a name may hold a comma
        if listed == cause.name.lower() or listed.startswith(cause.name.lower() + ", "):
            return cause.id
    return None


def _category_id(line: str, kb: Knowledge) -> str | None:
    text = line.lstrip("- ").lower()
    return next((cat.id for cat in kb.categories if text.startswith(cat.name.lower())), None)


def result_of(turns: Iterable[Turn]) -> Advice | None:
    """The advice of the last turn that carried an advice card ("Advice: <headline>"), read as a person reads the
    card: the headline (in the first or the third person) gives the disposition; the line after "Likely causes:"
    the category and the cause. Cross-checked with the session attribute ``last`` the skill keeps."""
    kb = _kb()
    headlines = {d.headline: d.id for d in kb.dispositions.values()}
    headlines.update({d.headline_other: d.id for d in kb.dispositions.values() if d.headline_other})
    for turn in reversed(list(turns)):
        content = str((turn.response.get("card") or {}).get("content") or "")
        if not content.startswith("Advice:"):
            continue
        lines = content.splitlines()
        found = {d for h, d in headlines.items() if h in lines[0]}
        disposition = found.pop() if len(found) == 1 else None
        after = lines[lines.index("Likely causes:") + 1] if "Likely causes:" in lines else ""
        category = (_category_id(after, kb) or "?") if after.startswith("- ") else "none"
        last = (turn.raw.get("sessionAttributes") or {}).get("last") or {}
        consistent = last.get("disposition") == disposition and (last.get("categories") or ["none"])[0] == category
        return Advice(disposition, category, _cause_id(after, kb), consistent)
    return None


def stored_record(db: Path) -> dict[str, Any]:
    """The fields an SQLite store (hosting.sqlite_persistence) holds with a value, by name (any device's interview
    as "interview"): what ``expect.stored`` reads."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT field, value FROM fields WHERE value IS NOT NULL").fetchall()
    return {field.split(".", 1)[0]: json.loads(value) for field, value in rows}


def words_to_question(speech: str) -> int:
    """Words spoken before the turn's question starts (the whole turn if it asks nothing)."""
    end = speech.find("?")
    if end < 0:
        return len(speech.split())
    start = max(speech.rfind(mark, 0, end) for mark in ".!")
    return len(speech[: start + 1].split()) if start >= 0 else 0


def breath_words(ssml: str) -> list[int]:
    """Words in each breath of a turn (skill.speech.breaths): the whole of every breath but the last, and the last
    up to its question. A result is two breaths (the advice; its likeliest cause); every other turn is one."""
    parts = breaths(ssml)
    return [len(p.split()) for p in parts[:-1]] + [words_to_question(parts[-1])]
