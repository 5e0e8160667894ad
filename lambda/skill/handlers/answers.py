"""Answers to the open question: yes, no, don't know, a duration, a choice, or a symptom said at any time."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.conversation import ack, causes, continue_after, emergency, finish, respond
from skill.handlers import info, launch, settings
from skill.slots import raw_value, resolved_id
from skill.speech import Speech
from triage import engine
from triage.engine import NO, YES, Result

Handle = Callable[[Any, HandlerInput], Response]


def opens_properly(handle: Handle) -> Handle:
    """An answer that opens a session ("ask back numbness helper: yes") answers nothing the person has heard:
    start the interview properly instead, with the welcome and the first question."""

    @functools.wraps(handle)
    def wrapper(self: Any, handler_input: HandlerInput) -> Response:
        session = handler_input.request_envelope.session
        if session is None or session.new:
            return launch.LaunchHandler().handle(handler_input)
        return handle(self, handler_input)

    return wrapper


def answer(handler_input: HandlerInput, value: str) -> Response:
    """Apply an answer to the open question; anything that doesn't fit is re-asked, never lost."""
    t = st.strings(handler_input)
    kb = st.kb()
    state = st.interview(handler_input)
    q = engine.current_question(state, kb)
    if q is None:
        return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)
    if q.type == "duration" and value == NO:
        return respond(handler_input, engine.dont_know(state, kb), Speech(t).say("unknown_noted"))
    if q.type == "duration" and value == YES:
        return continue_after(handler_input, Speech(t).say("duration_how_long"), guide=True)
    if q.type == "choice" and value == YES:
        return continue_after(handler_input, Speech(t).say("choice_which"), guide=True)
    try:
        new_state = engine.answer(state, kb, value)
    except engine.InvalidAnswer:
        return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)
    return respond(handler_input, new_state, ack(t, len(new_state["events"])))


class YesHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.YesIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        pending = st.pending(handler_input)
        if pending == "resume":
            return launch.resume(handler_input, accept=True)
        if pending == "delete":
            return settings.delete_data(handler_input)
        if pending == "causes":
            return causes(handler_input)
        if pending == "result":
            return info.warning_signs(handler_input)
        if pending == "anything":
            return info.help_when_done(handler_input)
        if pending == "emergency":
            step = engine.next_step(st.interview(handler_input), st.kb())
            if isinstance(step, Result):
                return emergency(handler_input, step, repeat=True)
        return answer(handler_input, YES)


class NoHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.NoIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        pending = st.pending(handler_input)
        if pending == "resume":
            return launch.resume(handler_input, accept=False)
        if pending == "delete":
            st.set_pending(handler_input, None)
            return continue_after(handler_input, Speech(t).say("delete_kept"))
        if pending == "causes":
            st.set_pending(handler_input, "result")
            return continue_after(handler_input, ack(t, 0))
        if pending in ("result", "anything"):
            st.set_pending(handler_input, None)
            return finish(handler_input, Speech(t).say("goodbye"), end=True)
        if pending == "emergency":
            return finish(handler_input, Speech(t).say("emergency_goodbye"), end=True)
        return answer(handler_input, NO)


class DontKnowHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DontKnowIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        kb = st.kb()
        state = st.interview(handler_input)
        q = engine.current_question(state, kb)
        if q is None or st.pending(handler_input) in ("resume", "delete"):
            return continue_after(handler_input, Speech(t).say("yes_no_hint"), guide=True)
        new_state = engine.dont_know(state, kb)
        intro = Speech(t)
        if not q.is_red_flag:
            intro.say("unknown_noted")
        elif engine.current_question(new_state, kb) != q:
            intro.say("unknown_red_flag_noted")
        return respond(handler_input, new_state, intro)


class DurationHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DurationIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        q = engine.current_question(st.interview(handler_input), st.kb())
        value = raw_value(handler_input, "duration")
        if q is None or q.type != "duration" or st.pending(handler_input):
            return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)
        if value is None:
            return continue_after(handler_input, Speech(t).say("duration_how_long"), guide=True)
        return answer(handler_input, value)


class ChoiceHandler(AbstractRequestHandler):
    """BodyAreaIntent and TriggerIntent: a choice for the open question, or a symptom said in passing."""

    SLOTS: ClassVar[dict[str, tuple[str, str]]] = {
        "BodyAreaIntent": ("area", "BodyArea"),
        "TriggerIntent": ("trigger", "TriggerType"),
    }

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in self.SLOTS)

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        kb = st.kb()
        intent = str(get_intent_name(handler_input))
        slot_name, slot_type = self.SLOTS[intent]
        value = resolved_id(handler_input, slot_name)
        state = st.interview(handler_input)
        q = engine.current_question(state, kb)
        if q is not None and q.slot_type == slot_type and not st.pending(handler_input):
            if value is None:
                return continue_after(handler_input, Speech(t).say("choice_no_match"), guide=True)
            return answer(handler_input, value)
        # Not the open question: if the choice names a symptom, take it as volunteered.
        options = [o for qq in kb.questions if qq.slot_type == slot_type for o in qq.options if o.id == value]
        volunteered = [f for o in options for f in o.findings if kb.findings[f].volunteer]
        if volunteered:
            return volunteer(handler_input, volunteered)
        return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)


def volunteer(handler_input: HandlerInput, finding_ids: list[str]) -> Response:
    t = st.strings(handler_input)
    kb = st.kb()
    state = st.interview(handler_input)
    new_state = state
    for fid in finding_ids:
        new_state = engine.volunteer(new_state, kb, fid)
    if new_state == state:
        return continue_after(handler_input, Speech(t).say("noted_already"))
    st.set_pending(handler_input, None)
    return respond(handler_input, new_state, Speech(t).say("noted"))


class VolunteerSymptomHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("VolunteerSymptomIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        finding_id = resolved_id(handler_input, "symptom")
        finding = st.kb().findings.get(finding_id or "")
        if finding is None or not finding.volunteer:
            return continue_after(handler_input, Speech(t).say("symptom_no_match"), guide=True)
        return volunteer(handler_input, [finding.id])
