"""Stateful fuzzing of whole conversations through the real ``lambda_function.lambda_handler``.

Random sequences of every intent the interaction model defines (plus unknown ones), with valid, missing, unmatched
(ER_SUCCESS_NO_MATCH) and garbage slot values; every request type a skill can get (and unknown ones); the five
locales plus unsupported and missing ones; session ends (every reason) and new sessions interleaved. A second
machine runs the same rules with persistence (the embedded SQLite store behind the resilient wrapper), so new
sessions offer to resume.

Properties, checked on every turn:
  P1 every response deserialises as an ``ask_sdk_model.ResponseEnvelope``; no exception escapes;
  P2 every response to a LaunchRequest or IntentRequest has speech;
  P3 the session ends only after stop / cancel / navigate home, a "no" to the final offers (pending result,
     anything else, emergency, start the questions, remember me), a "yes" to "shall I remember?", or a
     SessionEndedRequest;
  P4 once a red flag is affirmed in a session - "yes" to the red-flag question Alexa just asked, or a volunteered
     red-flag symptom, then "yes" (or "I don't know" twice) to its "is it new?" check, or no check asked - every
     later result in that session (the card's "Advice: ..." line and the session attribute ``last`` when it
     changes) is at least that flag's floor, through go back and start over; unless the person withdrew it by
     "yes" to the explicit correction ("Just to be sure: ...?"). "No" to the check makes it the person's
     long-standing baseline, not a red flag.

Bounded in CI (profile ``ci``: 150 derandomized runs of up to 100 steps); ``HYPOTHESIS_PROFILE=nightly`` runs 10,000.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

import lambda_function
from hosting.sqlite_persistence import SqlitePersistenceAdapter
from skill import build_skill, invoke
from skill.persistence import ResilientPersistence
from skill.speech import ssml_to_text
from tools import alexa_requests as requests
from tools import build_models
from triage import engine
from triage.engine import Ask
from triage.knowledge import load_knowledge

PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
MODEL = json.loads(build_models.model_path("en-US").read_text("utf-8"))
LANGUAGE_MODEL = MODEL["interactionModel"]["languageModel"]
KB = load_knowledge()
SERIALIZER = DefaultSerializer()

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.FUZZUSER"
DEVICE_ID = "amzn1.ask.device.FUZZDEVICE"

# --- the model: every intent, its slots, and every custom slot type's ids and phrases --------------------------
INTENT_SLOTS: dict[str, dict[str, str]] = {
    i["name"]: {s["name"]: s["type"] for s in i.get("slots", [])} for i in LANGUAGE_MODEL["intents"]
}
TYPE_VALUES: dict[str, list[tuple[str, str]]] = {
    t["name"]: [(v["id"], p) for v in t["values"] for p in [v["name"]["value"], *v["name"].get("synonyms", [])]]
    for t in LANGUAGE_MODEL["types"]
}
ALL_IDS = sorted({i for values in TYPE_VALUES.values() for i, _ in values} | set(KB.findings))
assert len(INTENT_SLOTS) >= 20 and "VolunteerSymptomIntent" in INTENT_SLOTS
UNKNOWN_INTENTS = ["AMAZON.PauseIntent", "AMAZON.ResumeIntent", "AMAZON.NextIntent", "SomeOther.Intent", ""]
LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN", "fr-FR", None]
ENDING_INTENTS = {"AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent"}
FINAL_OFFERS = {"result", "anything", "emergency", "remember", "start"}

RED_FLAGS = {f.id: KB.level(f.floor) for f in KB.red_flags if f.floor}
RED_FLAG_QUESTIONS = [q for q in KB.questions if q.is_red_flag]
# the card's headline, as said to the person or (after "it's for my dad") about them
LEVEL_BY_HEADLINE = {h: KB.level(d.id) for d in KB.dispositions.values() for h in (d.headline, d.headline_other) if h}

# --- strategies ---------------------------------------------------------------------------------------------------
NASTY = [
    "<speak>yes</speak>", "</speak><audio src='https://example.com/x.mp3'/><speak>", "&amp; &lt;", "]]>",
    "{emergency_number}", "{0}", "%s %d", "\u202eoy", "\x00", "\ud7ff\ufffd", "😀👍🏽", "Ｐ２Ｗ", "P٣D", "P2W", "PT-1H",
    "P" + "9" * 400 + "Y",
    "?", "", "   ", "yes", "loss_bladder_bowel", "null", "\n\n",
]
garbage_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "<", "😀", "P2W "]), st.integers(1_000, 60_000)),
)
valid_duration = st.builds(
    lambda n, unit: unit.format(n=n),
    st.integers(0, 500),
    st.sampled_from(["PT{n}M", "PT{n}H", "P{n}D", "P{n}W", "P{n}M", "P{n}Y", "pt{n}h", " P{n}D "]),
)


def _authority(slot: str) -> str:
    return f"amzn1.er-authority.echo-sdk.{SKILL_ID}.{slot}"


@st.composite
def slot_for(draw: st.DrawFn, name: str, slot_type: str) -> dict[str, Any] | None:
    """One slot as Alexa sends it: valid, missing, empty, unmatched, or garbage. None = not in the request."""
    kind = draw(st.sampled_from(["valid", "valid", "valid", "missing", "empty", "no_match", "bad_id", "raw"]))
    if kind == "missing":
        return None
    if kind == "empty":
        return {"name": name, "confirmationStatus": "NONE"}
    if slot_type.startswith("AMAZON."):
        value = draw(valid_duration) if kind == "valid" else draw(garbage_text)
        return {"name": name, "value": value, "confirmationStatus": "NONE"}
    if kind == "raw":
        return {"name": name, "value": draw(garbage_text), "confirmationStatus": "NONE"}
    if kind == "no_match":
        value = draw(garbage_text)
        resolution: dict[str, Any] = {"authority": _authority(slot_type), "status": {"code": "ER_SUCCESS_NO_MATCH"}}
    else:
        if kind == "valid":
            value_id, value = draw(st.sampled_from(TYPE_VALUES[slot_type]))
        else:  # a match whose id is another type's id or junk
            value_id, value = draw(st.sampled_from(ALL_IDS) | garbage_text), draw(garbage_text)
        resolution = {
            "authority": _authority(slot_type),
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": value, "id": value_id}}],
        }
    return {"name": name, "value": value, "confirmationStatus": "NONE", "source": "USER",
            "resolutions": {"resolutionsPerAuthority": [resolution]}}


@st.composite
def intent_call(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(INTENT_SLOTS)) | st.sampled_from(UNKNOWN_INTENTS))
    slots: dict[str, Any] = {}
    declared = INTENT_SLOTS.get(name, {})
    if not declared and draw(st.booleans()) and name:  # an unknown intent, or a known one with a stray slot
        declared = {"stray": draw(st.sampled_from(sorted(TYPE_VALUES)))}
    for slot, slot_type in declared.items():
        spec = draw(slot_for(slot, slot_type))
        if spec is not None:
            slots[slot] = spec
    return name, slots


_counter = itertools.count()


def _request(body: dict[str, Any], locale: str | None) -> dict[str, Any]:
    n = next(_counter)
    request = {"requestId": f"amzn1.echo-api.request.fuzz-{n}", "timestamp": "2026-11-24T12:00:00Z", **body}
    if locale is not None:
        request["locale"] = locale
    return request


def _text(speech: dict[str, Any] | None) -> str:
    if not speech:
        return ""
    return ssml_to_text(str(speech.get("ssml") or "")) if speech.get("type") == "SSML" else str(speech.get("text", ""))


def _asked(speech: str) -> Any:
    """The triage question Alexa's words end on (its text or its plainer rephrase), or None."""
    found = [(max(speech.rfind(q.text), speech.rfind(q.plain or "\0")), q) for q in KB.questions]
    found = [(pos, q) for pos, q in found if pos >= 0]
    return max(found, key=lambda f: f[0])[1] if found else None


class Conversations(RuleBasedStateMachine):
    """One Alexa user talking to the skill: sessions come and go, the device echoes session attributes."""

    handler: Any = staticmethod(lambda_function.lambda_handler)

    def __init__(self) -> None:
        super().__init__()
        self.locale: str | None = "en-US"
        self.session_id = ""
        self.attributes: dict[str, Any] = {}
        self.new = True
        self.floor = -1  # the most urgent floor of red flags affirmed in this session
        self.floor_why = ""
        self.affirmed: dict[str, str] = {}  # red flag -> why, affirmed (and new) in this session
        self.pending: set[str] = set()  # said yes to, its "is it new?" check not settled yet
        self.why = ""
        self.asked: Any = None  # the question Alexa's last words in this session asked
        self.turns: list[str] = []
        self._new_session(None)

    # --- plumbing --------------------------------------------------------------------------------------------
    def _new_session(self, locale: str | None) -> None:
        self.locale = locale if locale is not None else self.locale
        self.session_id = f"amzn1.echo-api.session.fuzz-{next(_counter)}"
        self.attributes, self.new, self.floor, self.floor_why, self.asked = {}, True, -1, "", None
        self.affirmed, self.pending = {}, set()

    def _event(self, body: dict[str, Any], with_session: bool = True) -> dict[str, Any]:
        """The one request builder (tools.alexa_requests) around the fuzzed request (whose locale may be absent)."""
        caller = requests.Caller(locale=self.locale or "en-US", user_id=USER_ID, skill_id=SKILL_ID, device_id=DEVICE_ID)
        session = requests.Session(self.session_id, self.new, self.attributes) if with_session else None
        return requests.envelope(_request(body, self.locale), caller, session)

    def _send(self, body: dict[str, Any], with_session: bool = True) -> dict[str, Any]:
        kind = body["type"]
        intent = (body.get("intent") or {}).get("name") if kind == "IntentRequest" else None
        self.turns.append(f"{kind} {intent or ''} {json.dumps(body.get('intent', {}).get('slots', {}))[:200]}")
        pending_before = self.attributes.get("pending") if not self.new else None
        last_before = self.attributes.get("last")
        raw = self.handler(copy.deepcopy(self._event(body, with_session)), None)
        # P1: a response Alexa can read
        parsed = SERIALIZER.deserialize(json.dumps(raw), ResponseEnvelope)
        assert isinstance(parsed, ResponseEnvelope), raw
        response = raw.get("response") or {}
        speech = _text(response.get("outputSpeech"))
        if not with_session:
            return raw
        # P2: speech for every launch and intent
        if kind in ("LaunchRequest", "IntentRequest"):
            assert speech.strip(), f"no speech for {kind} {intent}: {raw}"
        # P3: the session ends only when it should
        if response.get("shouldEndSession") is True:
            allowed = kind == "SessionEndedRequest" or intent in ENDING_INTENTS or (
                intent == "AMAZON.NoIntent" and pending_before in FINAL_OFFERS
            ) or (intent == "AMAZON.YesIntent" and pending_before == "remember")
            assert allowed, f"session ended after {kind} {intent} (pending={pending_before}): {speech}"
        attributes = raw.get("sessionAttributes") or {}
        # P4 (a): the affirmation this turn made, from what the person said to what they were asked
        slots = (body.get("intent") or {}).get("slots") or {}
        if intent == "AMAZON.YesIntent" and not self.new and self.asked is not None and self.asked.is_red_flag:
            self.pending.update(f for f in self.asked.on_yes if f in RED_FLAGS)
            self.why = f"yes to {self.asked.id}"
        if intent == "VolunteerSymptomIntent":
            resolved = _resolved(slots.get("symptom"))
            if resolved in RED_FLAGS:
                self.pending.add(resolved)
                self.why = f"volunteered {resolved}"
        if intent == "AMAZON.YesIntent" and pending_before == "correct" and not self.new:
            self.affirmed.pop(str(self.attributes.get("correcting")), None)  # withdrawn, explicitly
            self._refloor()
        self._settle(attributes.get("interview"))
        # P4 (b): every result from now on is at least that urgent
        card = response.get("card") or {}
        if "Advice:" in str(card.get("content", "")):
            advice = str(card["content"]).splitlines()[0]
            levels = [lvl for headline, lvl in LEVEL_BY_HEADLINE.items() if headline in advice]
            assert len(levels) == 1, advice
            self._check_floor(levels[0], f"card {advice!r}")
        last = attributes.get("last")
        if isinstance(last, dict) and last != last_before:
            self._check_floor(KB.level(last["disposition"]), f"last={last}")
        # carry the session like a device
        if response.get("shouldEndSession") is True or kind == "SessionEndedRequest":
            self._new_session(None)
        else:
            self.new = False
            self.attributes = attributes
            if speech:
                self.asked = _asked(speech)
        return raw

    def _settle(self, state: Any) -> None:
        """Flags said yes to become affirmed once their "is it new?" check is settled (answered yes, or "I don't
        know" twice, or none asked); "no" (long-standing) drops them. Read from the interview the skill returned."""
        try:
            state = engine.check_state(state, KB)
        except engine.StateError:
            return
        present = set(engine.findings(state, KB))
        for fid in list(self.pending):
            check = KB.new_check.get(fid)
            answers = [e for e in state["events"] if check is not None and e[1:2] == [check.id]]
            if fid not in present:
                self.pending.discard(fid)
                if check is not None and ["a", check.id, "no"] in answers:
                    self.affirmed.pop(fid, None)  # long-standing: the person's baseline
                    self._refloor()
            elif check is None or fid in state.get("carried", []) or any(e[0] == "a" for e in answers) or (
                    sum(e[0] == "u" for e in answers) >= 2) or not isinstance(engine.next_step(state, KB), Ask):
                self.pending.discard(fid)
                self.affirmed[fid] = self.why
                self._refloor()

    def _refloor(self) -> None:
        self.floor, self.floor_why = -1, ""
        for fid, why in self.affirmed.items():
            if RED_FLAGS[fid] > self.floor:
                self.floor, self.floor_why = RED_FLAGS[fid], why

    def _check_floor(self, level: int, what: str) -> None:
        assert level >= self.floor, (
            f"{what} is below the floor {KB.disposition_at[self.floor]} set by {self.floor_why}; turns:\n"
            + "\n".join(self.turns[-15:])
        )

    def _intent(self, name: str, slots: dict[str, Any] | None = None) -> dict[str, Any]:
        dialog = "STARTED" if self.new else "IN_PROGRESS"
        return self._send({"type": "IntentRequest", "dialogState": dialog,
                           "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots or {}}})

    # --- rules ---------------------------------------------------------------------------------------------------
    @initialize(locale=st.sampled_from(LOCALES))
    def start(self, locale: str | None) -> None:
        self._new_session(locale)
        self.locale = locale

    @rule()
    def launch(self) -> None:
        self._send({"type": "LaunchRequest"})

    @rule(call=intent_call())
    def any_intent(self, call: tuple[str, dict[str, Any]]) -> None:
        self._intent(*call)

    @rule()
    def yes(self) -> None:
        self._intent("AMAZON.YesIntent")

    @rule()
    def no(self) -> None:
        self._intent("AMAZON.NoIntent")

    @rule()
    def dont_know(self) -> None:
        self._intent("DontKnowIntent")

    @rule(duration=valid_duration)
    def duration(self, duration: str) -> None:
        self._intent("DurationIntent", {"duration": {"name": "duration", "value": duration,
                                                     "confirmationStatus": "NONE"}})

    @rule(intent=st.sampled_from(["BodyAreaIntent", "TriggerIntent"]), data=st.data())
    def choice(self, intent: str, data: st.DataObject) -> None:
        slot, slot_type = next(iter(INTENT_SLOTS[intent].items()))
        value_id, value = data.draw(st.sampled_from(TYPE_VALUES[slot_type]))
        self._intent(intent, {slot: requests.slot(slot, value, value_id)})

    @rule(finding=st.sampled_from(sorted(f.id for f in KB.findings.values() if f.volunteer)), data=st.data())
    def volunteer(self, finding: str, data: st.DataObject) -> None:
        phrases = [p for i, p in TYPE_VALUES["Symptom"] if i == finding]
        value = data.draw(st.sampled_from(phrases))
        self._intent("VolunteerSymptomIntent", {"symptom": requests.slot("symptom", value, finding)})

    @rule(name=st.sampled_from(["AMAZON.PreviousIntent", "AMAZON.StartOverIntent", "AMAZON.RepeatIntent",
                                "AMAZON.HelpIntent", "AMAZON.FallbackIntent"]))
    def navigate(self, name: str) -> None:
        self._intent(name)

    @rule(reason=st.sampled_from(["USER_INITIATED", "ERROR", "EXCEEDED_MAX_REPROMPTS", "SOMETHING_NEW"]),
          with_error=st.booleans(), locale=st.sampled_from(LOCALES))
    def session_ended(self, reason: str, with_error: bool, locale: str | None) -> None:
        body: dict[str, Any] = {"type": "SessionEndedRequest", "reason": reason}
        if with_error:
            body["error"] = {"type": "INVALID_RESPONSE", "message": "wet myself <speak>"}
        self._send(body)
        self._new_session(locale)

    @rule(locale=st.sampled_from(LOCALES))
    def session_lost(self, locale: str | None) -> None:
        """The device drops the session without telling the skill: the next request opens a new one."""
        self._new_session(locale)

    @rule(kind=st.sampled_from(["System.ExceptionEncountered", "CanFulfillIntentRequest", "Some.FutureRequest",
                                "AudioPlayer.PlaybackStarted", "Alexa.Presentation.APL.UserEvent"]),
          with_session=st.booleans(), call=intent_call())
    def other_request(self, kind: str, with_session: bool, call: tuple[str, dict[str, Any]]) -> None:
        body: dict[str, Any] = {"type": kind}
        if kind == "System.ExceptionEncountered":
            body["error"] = {"type": "INVALID_RESPONSE", "message": "An exception occurred"}
            body["cause"] = {"requestId": "amzn1.echo-api.request.previous"}
        elif kind == "CanFulfillIntentRequest":
            body["intent"] = {"name": call[0], "slots": call[1]}
        self._send(body, with_session=with_session)


def _resolved(slot: dict[str, Any] | None) -> str | None:
    ids = requests.resolved_ids(slot)
    return ids[0] if ids else None


STEPS = 100


def test_conversations_through_lambda_handler() -> None:
    run_state_machine_as_test(Conversations, settings=settings(PROFILE, stateful_step_count=STEPS))


class PersistentConversations(Conversations):
    """The same user with a store (fresh per run, so every example replays identically): new sessions offer to
    resume an unfinished interview, and the last result is remembered."""

    def __init__(self) -> None:
        self.store = SqlitePersistenceAdapter(":memory:")
        skill = build_skill(persistence_adapter=ResilientPersistence(self.store, ttl_days=30))
        self.handler = lambda event, context: invoke(skill, event, context)
        super().__init__()

    def teardown(self) -> None:
        self.store.close()


def test_conversations_with_persistence_and_resume() -> None:
    runs = max(PROFILE.max_examples // 3, 1)
    run_state_machine_as_test(PersistentConversations, settings=settings(PROFILE, max_examples=runs,
                                                                         stateful_step_count=STEPS))
