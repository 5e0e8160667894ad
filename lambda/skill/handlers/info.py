"""Information on request: what a cause is, when to see a doctor, warning signs, last time's advice."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.conversation import signs_card
from skill.offers import OFFERS, after_information, warning_signs
from skill.slots import resolved_id
from skill.speech import Speech
from skill.turn import Offer, Turn
from triage.engine import Result


class ExplainCauseHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ExplainCauseIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        kb = st.kb()
        cause_id = resolved_id(handler_input, "cause") or ""
        if cause_id in kb.causes:
            spoken = kb.causes[cause_id].spoken
        elif cause_id in {c.id for c in kb.categories}:
            spoken = kb.category(cause_id).spoken
        else:
            return after_information(handler_input, Speech(t).say("cause_unknown"))
        return after_information(handler_input, Speech(t).text(spoken))


class HearAboutCauseHandler(AbstractRequestHandler):
    """"Hear about a cause": the likeliest one from the result, or how to ask."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("HearAboutCauseIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t, kb = turn.t, turn.kb
        if turn.offer is Offer.CAUSES:  # "what's causing it?" when offered the likely causes: a yes to the offer
            return OFFERS[Offer.CAUSES].yes(handler_input)
        step = turn.step
        if isinstance(step, Result) and step.evidence:
            top = step.categories[0]
            spoken = kb.causes[top.causes[0]].spoken if top.causes else kb.category(top.id).spoken
            return after_information(handler_input, Speech(t).say("cause_top").text(spoken))
        return after_information(handler_input, Speech(t).say("cause_prompt"))


class WarningSignsHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("WarningSignsIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return warning_signs(handler_input)


class WhenToSeeDoctorHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("WhenToSeeDoctorIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        handler_input.response_builder.set_card(signs_card(t, st.kb()))
        speech = Speech(t).say("warning_signs").say("warning_signs_prompt")
        return after_information(handler_input, speech)


class LastResultHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("LastResultIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        kb = st.kb()
        turn = Turn.of(handler_input)
        if turn.persists and turn.consent is not True:
            return after_information(handler_input, Speech(t).say("memory_off"), always=True)
        last = turn.attrs.get("last_stored")
        disposition = kb.dispositions.get(last.get("disposition", "")) if isinstance(last, dict) else None
        if disposition is None or not isinstance(last, dict):
            return after_information(handler_input, Speech(t).say("last_none"), always=True)
        speech = Speech(t).say("last_result", date=str(last.get("date", "")), headline=disposition.headline)
        return after_information(handler_input, speech, always=True)
