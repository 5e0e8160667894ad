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
from skill.edge import valid_cached_speech
from skill.locale import strings_for
from skill.persistence import (
    ALL_INTERVIEWS,
    FIELDS,
    ResilientPersistence,
    fingerprint,
    now_ms,
    owner_tag,
    turn_deadline,
)
from skill.speech import with_rate
from skill.turn import Turn
from triage import engine

log = logging.getLogger(__name__)
_SPEAK = re.compile(r"^<speak>(.*)</speak>$", re.DOTALL)


# What an intent name looks like ("AMAZON.YesIntent", "DurationIntent"). The name comes from the request, so a forged
# one could carry anything (an id, words): only a name of this shape is logged, anything else as "other".
_INTENT_NAME = re.compile(r"^(AMAZON\.[A-Za-z]{1,40}|[A-Z][A-Za-z]{0,40}Intent)$")


class LogRequestInterceptor(AbstractRequestInterceptor):
    """Event names only: request type and intent name. Never slots, ids, tokens or the envelope."""

    def process(self, handler_input: HandlerInput) -> None:
        request_type = get_request_type(handler_input)  # the SDK's class for the type: an unknown type never gets here
        name = getattr(getattr(handler_input.request_envelope.request, "intent", None), "name", None)
        intent = "-" if name is None else name if _INTENT_NAME.match(str(name)) else "other"
        log.info("request type=%s intent=%s", request_type, intent)


class LocaleInterceptor(AbstractRequestInterceptor):
    def process(self, handler_input: HandlerInput) -> None:
        locale = getattr(handler_input.request_envelope.request, "locale", None)
        handler_input.attributes_manager.request_attributes["strings"] = strings_for(locale)


class LoadInterceptor(AbstractRequestInterceptor):
    """Every turn: set the turn's storage deadline. At the start of a session, bring the owner's record (the
    recognised person's, else the account's) into the session: speech rate and consent always; with consent,
    this device's unfinished interview to offer to resume (or its red flags, if it is from older knowledge) and
    last time's result. Remembers what it read (``stored_fp``: a digest per field) so that saves write only what
    this session changed; after a failed read it knows nothing and writes only the session's own changes (never
    a blind overwrite)."""

    def __init__(self, store: ResilientPersistence | None) -> None:
        self.store = store

    def process(self, handler_input: HandlerInput) -> None:
        manager = handler_input.attributes_manager
        manager.request_attributes["persist"] = self.store is not None
        request_id = getattr(handler_input.request_envelope.request, "request_id", None) or ""
        deadline = turn_deadline(handler_input.context, request_id=request_id)
        manager.request_attributes["deadline"] = deadline
        session = handler_input.request_envelope.session
        if self.store is None or session is None or not session.new:
            return
        attrs = st.session(handler_input)
        attrs["owner"] = owner_tag(handler_input.request_envelope)
        record = self.store.load(handler_input.request_envelope, deadline)
        if record is None:  # unknown: the store could not be read in time
            attrs["stored_fp"] = {}
            return
        attrs["stored_fp"] = {f: fingerprint(record.get(f)) for f in FIELDS}
        attrs["kept"] = bool(record)
        if record.get("rate") in ("slower", "faster"):
            attrs["rate"] = record["rate"]
        if isinstance(record.get("consent"), bool):
            attrs["consent"] = record["consent"]
        if record.get("consent") is not True:
            return  # health fields are read only for a person who said yes (older records without it: ignored)
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


class RepeatCacheGuardInterceptor(AbstractRequestInterceptor):
    """Session attributes come back from the client: a repeat cache that is not speech this skill could have
    produced (``skill.edge.valid_cached_speech``) is dropped before any handler sees it, so "repeat" says the
    open question again instead of speaking it."""

    def process(self, handler_input: HandlerInput) -> None:
        if handler_input.request_envelope.session is None:
            return
        attrs = st.session(handler_input)
        said = attrs.get("said")
        if said is None:
            return
        ok = isinstance(said, dict) and set(said) <= {"speech", "reprompt"} and valid_cached_speech(
            said.get("speech")) and ("reprompt" not in said or valid_cached_speech(said["reprompt"]))
        if not ok:
            log.warning("repeat_cache.invalid_dropped")
            attrs.pop("said", None)


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
    """Store codes only: the speech rate and the answer to "shall I remember you?" always; this device's unfinished
    interview and the last result only for a person who said yes. Each turn writes the fields that differ from what
    the session believes is stored (``stored_fp``), field by field with a stamp that grows every turn, so the store
    keeps the newest value of each field (see skill.persistence). A "no" to being remembered removes the health
    fields (every device's interview, the last result) even when the session could not read them. A failed or
    deferred save leaves ``stored_fp`` as it was: the next turn writes again. The first save of a session that
    found a record renews its TTL even when nothing changed. Nothing is written for someone who has nothing to
    keep, nor when the speaker is no longer the one whose record the session opened."""

    def __init__(self, store: ResilientPersistence | None) -> None:
        self.store = store

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        attrs = st.session(handler_input)
        if self.store is None or attrs.get("no_store"):
            return
        envelope = handler_input.request_envelope
        owner = attrs.get("owner")
        if isinstance(owner, str) and owner != owner_tag(envelope):
            log.info("persistence.owner_changed_not_saved")
            return
        record = _record(handler_input)
        believed = attrs.get("stored_fp")
        believed = dict(believed) if isinstance(believed, dict) else {}
        changes = {f: record.get(f) for f in FIELDS if fingerprint(record.get(f)) != believed.get(f, "-")}
        if record.get("consent") is False and "consent" in changes:  # withdrawn or declined: no health field stays
            changes.update({"interview": None, "last": None, ALL_INTERVIEWS: None})
        touch = bool(attrs.get("kept")) and not attrs.get("renewed")
        if not changes and not touch:
            return
        previous = attrs.get("stamp")
        stamp = max(now_ms(), (previous if isinstance(previous, int) else 0) + 1)
        deadline = handler_input.attributes_manager.request_attributes.get("deadline")
        saved = self.store.save_fields(envelope, changes, stamp, deadline if isinstance(deadline, float) else None)
        attrs["stamp"] = stamp
        if not saved:
            return
        believed.update({f: fingerprint(v) for f, v in changes.items() if f in FIELDS})
        attrs["stored_fp"] = believed
        attrs["renewed"] = True
        attrs["kept"] = any(v != "-" for v in believed.values())


def _record(handler_input: HandlerInput) -> dict[str, Any]:
    attrs = st.session(handler_input)
    record: dict[str, Any] = {}
    turn = Turn.of(handler_input)
    if turn.consent is not None:
        record["consent"] = turn.consent
    if st.rate(handler_input):
        record["rate"] = st.rate(handler_input)
    if turn.consent is not True:
        return record  # nothing about health outlives the session without a yes
    if turn.started and (turn.state["events"] or turn.state["carried"]):
        if isinstance(turn.step, engine.Ask):  # unfinished: keep it to resume (with any carried red flags)
            record["interview"] = turn.state
    elif isinstance(attrs.get("stored"), dict):
        record["interview"] = attrs["stored"]  # not yet answered whether to resume: keep it
    last = attrs.get("last") or attrs.get("last_stored")
    if isinstance(last, dict):
        record["last"] = last
    return record


def _inner(ssml: str) -> str:
    match = _SPEAK.match(ssml)
    return match.group(1) if match else ssml
