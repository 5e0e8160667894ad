"""Moving around the conversation: repeat, go back, start over, help, stop, fallback."""

from __future__ import annotations

import re

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.conversation import continue_after, finish, respond
from skill.speech import Speech
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
    """"Go back": undo the last answer. Red flags, once affirmed, stay."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.PreviousIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        if st.pending(handler_input) in ("resume", "delete"):
            return continue_after(handler_input, Speech(t))
        state = st.interview(handler_input)
        try:
            new_state = engine.undo(state, st.kb())
        except engine.UndoBlocked:
            return continue_after(handler_input, Speech(t).say("undo_blocked"))
        except engine.NothingToUndo:
            return continue_after(handler_input, Speech(t).say("nothing_to_undo"))
        return respond(handler_input, new_state, Speech(t).say("going_back"))


class StartOverHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.StartOverIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        kb = st.kb()
        attrs = st.session(handler_input)
        attrs.pop("stored", None)
        st.set_pending(handler_input, None)
        new_state = engine.restart(st.interview(handler_input), kb)
        if new_state["carried"]:
            intro = Speech(t).say("starting_over_carried", reason=kb.findings[new_state["carried"][0]].reason)
        else:
            intro = Speech(t).say("starting_over")
        return respond(handler_input, new_state, intro)


class HelpHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.HelpIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        done = engine.current_question(st.interview(handler_input), st.kb()) is None
        if done and st.pending(handler_input) not in ("resume", "delete"):
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


def goodbye(handler_input: HandlerInput) -> Speech:
    t = st.strings(handler_input)
    action = red_flag_action(handler_input)
    if action:
        return Speech(t).text(t["goodbye_red_flag"].replace("{action}", action))
    return Speech(t).say("goodbye")


def red_flag_action(handler_input: HandlerInput) -> str | None:
    """What to do now because of a red flag already heard (None if none), as a template."""
    kb = st.kb()
    heard = st.red_flags_heard(handler_input)
    if not heard:
        return None
    worst = max(heard, key=lambda f: kb.level(kb.findings[f].floor or "routine"))
    action = kb.dispositions[kb.findings[worst].floor or "immediate"].action
    return action[:1].lower() + action[1:]


class FallbackHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.FallbackIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return continue_after(handler_input, Speech(st.strings(handler_input)).say("fallback"), guide=True)
