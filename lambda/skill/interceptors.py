"""Request and response interceptors: logging (codes only), localisation, persistence load/save,
the repeat cache and the speech rate."""

from __future__ import annotations

import logging
import re
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_request_type
from ask_sdk_model import Response
from ask_sdk_model.ui import SsmlOutputSpeech

from skill import state as st
from skill.locale import strings_for
from skill.speech import with_rate
from skill.turn import Turn
from triage import engine

log = logging.getLogger(__name__)
_SPEAK = re.compile(r"^<speak>(.*)</speak>$", re.DOTALL)


class LogRequestInterceptor(AbstractRequestInterceptor):
    """Event names only: request type and intent name. Never slots, ids, tokens or the envelope."""

    def process(self, handler_input: HandlerInput) -> None:
        request_type = get_request_type(handler_input)
        intent = getattr(getattr(handler_input.request_envelope.request, "intent", None), "name", None) or "-"
        log.info("request type=%s intent=%s", request_type, intent)


class LocaleInterceptor(AbstractRequestInterceptor):
    def process(self, handler_input: HandlerInput) -> None:
        locale = getattr(handler_input.request_envelope.request, "locale", None)
        handler_input.attributes_manager.request_attributes["strings"] = strings_for(locale)


class LoadInterceptor(AbstractRequestInterceptor):
    """At the start of a session, bring the stored record into the session: speech rate, an unfinished
    interview to offer to resume (or drop politely if it is from older knowledge), and last time's result."""

    def __init__(self, persist: bool) -> None:
        self.persist = persist

    def process(self, handler_input: HandlerInput) -> None:
        handler_input.attributes_manager.request_attributes["persist"] = self.persist
        session = handler_input.request_envelope.session
        if not self.persist or session is None or not session.new:
            return
        record = handler_input.attributes_manager.persistent_attributes or {}
        attrs = st.session(handler_input)
        attrs["kept"] = bool(record)
        if record.get("rate") in ("slower", "faster"):
            attrs["rate"] = record["rate"]
        if isinstance(record.get("last"), dict):
            attrs["last_stored"] = record["last"]
        stored = record.get("interview")
        if stored is None:
            return
        try:
            state = engine.check_state(stored, st.kb())
        except engine.StateError:
            # older knowledge (or damaged): the interview is not resumed, but its red flags are kept
            attrs["stale"] = engine.salvage(stored, st.kb())["carried"]
            log.info("persistence.stale_interview_reduced red_flags=%d", len(attrs["stale"]))
            return
        if (state["events"] or state["carried"]) and isinstance(engine.next_step(state, st.kb()), engine.Ask):
            attrs["stored"] = state


class TurnInterceptor(AbstractRequestInterceptor):
    """Reads the interview once per request, after the stored record is loaded: every request -- whatever its
    handler -- sees a checked state, and an unreadable one is reduced to its red flags before anything else."""

    def process(self, handler_input: HandlerInput) -> None:
        Turn.of(handler_input)


class MissCountInterceptor(AbstractRequestInterceptor):
    """Counts misses in a row (FallbackIntent) so that repair never says the same words twice; anything else
    understood starts the count again."""

    def process(self, handler_input: HandlerInput) -> None:
        request = handler_input.request_envelope.request
        name = getattr(getattr(request, "intent", None), "name", None)
        if name not in ("AMAZON.FallbackIntent", "AMAZON.RepeatIntent", "AMAZON.HelpIntent"):
            st.session(handler_input).pop("misses", None)


class RepeatCacheInterceptor(AbstractResponseInterceptor):
    """What "repeat" says again: the last response that was not a miss, so an apology is never repeated."""

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        speech = getattr(response.output_speech, "ssml", None) if response else None
        if not speech or handler_input.attributes_manager.request_attributes.get("miss"):
            return
        reprompt = getattr(getattr(response.reprompt, "output_speech", None), "ssml", None)
        said: dict[str, str] = {"speech": _inner(speech)}
        if reprompt:
            said["reprompt"] = _inner(reprompt)
        st.session(handler_input)["said"] = said


class SpeechRateInterceptor(AbstractResponseInterceptor):
    def process(self, handler_input: HandlerInput, response: Response) -> None:
        rate = st.rate(handler_input)
        if not rate or response is None:
            return
        for speech in (response.output_speech, getattr(response.reprompt, "output_speech", None)):
            if isinstance(speech, SsmlOutputSpeech) and speech.ssml:
                speech.ssml = with_rate(speech.ssml, rate)


class SaveInterceptor(AbstractResponseInterceptor):
    """Store codes only: an unfinished interview, the speech rate, the last result. Written every turn (which also
    renews the record's TTL, and retries a save that failed on an earlier turn); nothing is written for someone
    who has nothing to keep."""

    def __init__(self, persist: bool) -> None:
        self.persist = persist

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        attrs = st.session(handler_input)
        if not self.persist or attrs.get("no_store"):
            return
        record = _record(handler_input)
        if not record and not attrs.get("kept"):
            return
        manager = handler_input.attributes_manager
        try:
            manager.persistent_attributes = record
            manager.save_persistent_attributes()  # ResilientPersistence logs a failure's code and carries on
        except Exception as exc:  # an adapter without the wrapper: keep going on session attributes
            log.error("persistence.save_failed code=%s", type(exc).__name__)
            return
        attrs["kept"] = bool(record)


def _record(handler_input: HandlerInput) -> dict[str, Any]:
    attrs = st.session(handler_input)
    record: dict[str, Any] = {}
    turn = Turn.of(handler_input)
    if turn.started and (turn.state["events"] or turn.state["carried"]):
        if isinstance(turn.step, engine.Ask):  # unfinished: keep it to resume (with any carried red flags)
            record["interview"] = turn.state
    elif isinstance(attrs.get("stored"), dict):
        record["interview"] = attrs["stored"]  # not yet answered whether to resume: keep it
    if st.rate(handler_input):
        record["rate"] = st.rate(handler_input)
    last = attrs.get("last") or attrs.get("last_stored")
    if isinstance(last, dict):
        record["last"] = last
    return record


def _inner(ssml: str) -> str:
    match = _SPEAK.match(ssml)
    return match.group(1) if match else ssml
