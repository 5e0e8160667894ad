"""Opening the skill: welcome, disclaimer and the first question; or offer to resume an unfinished interview."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response

from skill.conversation import finish, respond
from skill.speech import Speech
from skill.turn import Offer, Turn
from triage import engine


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return launch(handler_input)


def launch(handler_input: HandlerInput, ahead: Sequence[tuple[str | None, Any]] = ()) -> Response:
    """The opening turn. A stored unfinished interview is offered only when this session has none of its own; "open"
    again inside a session starts afresh but, like start over, keeps every red flag heard. ``ahead``: answers said
    in the opening sentence ("my back's been numb for two days and it goes down my leg"), recorded so that their
    questions are skipped (engine.answer_ahead)."""
    turn = Turn.of(handler_input)
    t = turn.t
    turn.welcomed = True
    if turn.attrs.get("stored") and not turn.state["events"] and not turn.red_flags:
        turn.offer = Offer.RESUME
        return finish(handler_input, Speech(t).say("welcome_back").say("resume_question"),
                      Speech(t).say("resume_reprompt"))
    turn.attrs.pop("stored", None)  # this session's own interview wins; its red flags are never replaced
    intro = Speech(t).say("welcome")
    stale = turn.attrs.pop("stale", None)
    if stale is not None:
        intro = Speech(t).say("stale_state").say("welcome")
    state = engine.restart(turn.state, turn.kb) if turn.started else engine.new_state(turn.kb)
    if isinstance(stale, list):
        state = engine.with_red_flags(state, turn.kb, stale)  # red flags from the older stored interview
    return respond(handler_input, record_ahead(turn, state, ahead), intro)


def record_ahead(turn: Turn, state: dict[str, Any], ahead: Sequence[tuple[str | None, Any]]) -> dict[str, Any]:
    """Answers said before their question (question id, answer), and findings said with them (None, finding id);
    an answer that does not fit is dropped (its question is asked as usual)."""
    for question_id, value in ahead:
        try:
            if question_id is None:
                state = engine.volunteer(state, turn.kb, value)
            else:
                state = engine.answer_ahead(state, turn.kb, question_id, value)
        except engine.TriageError:
            continue
    return state
