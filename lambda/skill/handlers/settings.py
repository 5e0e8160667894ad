"""Settings: speech rate, asking for someone else, and deleting what the skill keeps."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.handlers import launch
from skill.offers import continue_after
from skill.slots import resolved_id
from skill.speech import Speech
from skill.turn import Offer, Turn


class SpeechRateHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("SpeechRateIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        rate = resolved_id(handler_input, "rate")
        attrs = st.session(handler_input)
        if rate in ("slower", "faster"):
            attrs["rate"] = rate
        elif rate == "normal":
            attrs.pop("rate", None)
        else:
            return continue_after(handler_input, Speech(t).say("rate_unknown"), info=True)
        return continue_after(handler_input, Speech(t).say(f"rate_{rate}"), info=True)


class DeleteDataHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DeleteDataIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        turn.offer = Offer.DELETE
        return continue_after(handler_input, Speech(turn.t))


class ForSomeoneElseHandler(AbstractRequestHandler):
    """"It's for my dad": third-person wording for the rest of the session (the knowledge's *_other texts)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ForSomeoneElseIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        turn.attrs["person"] = "other"
        session = handler_input.request_envelope.session
        if session is None or session.new or not turn.started:
            return launch.launch(handler_input)
        return continue_after(handler_input, Speech(turn.t).say("person_other"))
