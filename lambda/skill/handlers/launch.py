"""Opening the skill: welcome, disclaimer and the first question; or offer to resume an unfinished interview."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill import state as st
from skill.conversation import ack, finish, respond
from skill.speech import Speech
from triage import engine


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        attrs = st.session(handler_input)
        if attrs.get("stored"):
            st.set_pending(handler_input, "resume")
            return finish(
                handler_input,
                Speech(t).say("welcome_back").say("resume_question"),
                Speech(t).say("resume_reprompt"),
            )
        intro = Speech(t).say("welcome")
        if attrs.pop("stale", False):
            intro = Speech(t).say("stale_state").say("welcome")
        # "open ..." again inside an open session starts afresh but, like start over, keeps affirmed red flags
        state = engine.restart(st.interview(handler_input), st.kb()) if attrs.get("interview") else None
        return respond(handler_input, state or engine.new_state(st.kb()), intro)


def resume(handler_input: HandlerInput, accept: bool) -> Response:
    """Yes or no to "Shall we carry on where you left off?"."""
    t = st.strings(handler_input)
    stored = st.session(handler_input).pop("stored", None)
    st.set_pending(handler_input, None)
    if accept and stored:
        try:
            return respond(handler_input, engine.check_state(stored, st.kb()), ack(t, 0))
        except engine.StateError:
            pass
    return respond(handler_input, engine.new_state(st.kb()), Speech(t).say("starting_over"))
