"""Moving around the conversation: repeat, go back, start over, help, stop, fallback."""

from __future__ import annotations

import re

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.conversation import finish, goodbye, respond
from skill.offers import continue_after, holding, offer_correction, starting_over
from skill.speech import Speech
from skill.turn import Turn
from triage import engine

_SPEAK = re.compile(r"^<speak>(.*)</speak>$", re.DOTALL)


class RepeatHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.RepeatIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        said = st.session(handler_input).get("said")
        if not isinstance(said, dict) or not isinstance(said.get("speech"), str):
            return continue_after(handler_input, Speech(st.strings(handler_input)))
        rb = handler_input.response_builder
        rb.speak(said["speech"])
        if isinstance(said.get("reprompt"), str):
            rb.ask(said["reprompt"])
        rb.set_should_end_session(False)
        return rb.response


class PreviousHandler(AbstractRequestHandler):
    """"Go back": undo the last answer. A red flag just affirmed is not undone: the explicit correction is offered
    ("Just to be sure: ...?", skill.offers)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.PreviousIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t = turn.t
        if holding(turn):
            return continue_after(handler_input, Speech(t))
        try:
            new_state = engine.undo(turn.state, turn.kb)
        except engine.UndoBlocked:
            flag = engine.correctable(turn.state, turn.kb)
            if flag is not None:  # a red flag is withdrawn only through an explicit confirmation
                return offer_correction(handler_input, flag)
            return continue_after(handler_input, Speech(t).say("undo_blocked"))
        except engine.NothingToUndo:
            return continue_after(handler_input, Speech(t).say("nothing_to_undo"))
        return respond(handler_input, new_state, Speech(t).say("going_back"))


class StartOverHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.StartOverIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        stored = turn.attrs.pop("stored", None)
        turn.offer = None
        state = engine.restart(turn.state, turn.kb)
        if stored is not None:  # starting over instead of answering the resume offer: its red flags stay too
            state = engine.with_red_flags(state, turn.kb, engine.salvage(stored, turn.kb)["carried"])
        turn.update(state)
        return respond(handler_input, state, starting_over(turn))


class HelpHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.HelpIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t = turn.t
        if turn.question is None and not holding(turn):
            return continue_after(handler_input, Speech(t).say("help_done"), info=True)
        return continue_after(handler_input, Speech(t).say("help"))


class StopHandler(AbstractRequestHandler):
    """Stop, Cancel and Navigate Home: say goodbye, with the emergency advice again if a red flag was heard."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(
            is_intent_name(n)(handler_input)
            for n in ("AMAZON.StopIntent", "AMAZON.CancelIntent", "AMAZON.NavigateHomeIntent")
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        return finish(handler_input, goodbye(handler_input), end=True)


class FallbackHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.FallbackIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return continue_after(handler_input, Speech(st.strings(handler_input)).say("fallback"), guide=True)
