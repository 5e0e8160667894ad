"""Settings: speech rate, asking for someone else, and deleting what the skill keeps."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.handlers import launch
from skill.offers import after_information, continue_after
from skill.persistence import ttl_days_from_env
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
            return after_information(handler_input, Speech(t).say("rate_unknown"))
        return after_information(handler_input, Speech(t).say(f"rate_{rate}"))


class DeleteDataHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DeleteDataIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        turn.offer = Offer.DELETE
        return continue_after(handler_input, Speech(turn.t))


class RememberMeHandler(AbstractRequestHandler):
    """"Remember me": consent to keep answers and the last result between sessions (as codes, with a TTL)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("RememberMeIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        turn.attrs["consent"] = True
        turn.attrs.pop("no_store", None)
        return after_information(handler_input, Speech(turn.t).say("remember_on", days=str(ttl_days_from_env())))


class StopRememberingHandler(AbstractRequestHandler):
    """"Stop remembering me": withdraw consent; what was kept about health is dropped from the record."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("StopRememberingIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        turn.attrs["consent"] = False
        for key in ("stored", "last_stored"):
            turn.attrs.pop(key, None)
        if turn.offer in (Offer.RESUME, Offer.REMEMBER):
            turn.offer = None
        return after_information(handler_input, Speech(turn.t).say("remember_off"))


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


class ForMyselfHandler(AbstractRequestHandler):
    """"It's for me", "actually it's me", "no, it's me": back to second-person wording for the rest of the session
    (the way back from "it's for my dad")."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ForMyselfIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        turn.attrs.pop("person", None)
        session = handler_input.request_envelope.session
        if session is None or session.new or not turn.started:
            return launch.launch(handler_input)
        return continue_after(handler_input, Speech(turn.t).say("person_self"))
