"""Questions people ask back: what the open question means, why it is asked, how many are left, "is it
shingles?", where to go, what to do, and what happens to their answers."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.conversation import ask, red_flag_action
from skill.offers import after_information, continue_after, holding
from skill.persistence import ttl_days_from_env
from skill.slots import resolved_id
from skill.speech import Speech, fill
from skill.turn import Turn
from triage import engine
from triage.engine import Ask, Result


def _about_question(handler_input: HandlerInput, field: str) -> Response:
    """Say the open question's explanation (or reason), then ask it again."""
    turn = Turn.of(handler_input)
    step = turn.step
    if isinstance(step, Ask) and not holding(turn) and turn.offer is None:
        text = getattr(step.question, field) or step.question.reprompt
        return ask(handler_input, step, Speech(turn.t).text(text))
    return continue_after(handler_input, Speech(turn.t).say("help_done" if turn.question is None else "help"),
                          info=True)


class ExplainQuestionHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ExplainQuestionIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return _about_question(handler_input, "explain")


class WhyAskHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("WhyAskIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return _about_question(handler_input, "why")


class HowManyMoreHandler(AbstractRequestHandler):
    """An honest upper bound from the engine: "At most 6 more questions." (often fewer: questions are skipped
    when their answer could no longer change the advice)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("HowManyMoreIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        left = engine.questions_left(turn.state, turn.kb)
        if left == 0:
            speech = Speech(turn.t).say("how_many_none")
        elif left == 1:
            speech = Speech(turn.t).say("how_many_last")
        else:
            speech = Speech(turn.t).say("how_many", count=str(left))
        return continue_after(handler_input, speech, info=True)


class IsItCauseHandler(AbstractRequestHandler):
    """"Is it shingles?", "could it be a slipped disc?": no diagnosis; after the result, whether that kind of cause
    is among the likely ones from the answers."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("IsItCauseIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t, kb = turn.t, turn.kb
        cause_id = resolved_id(handler_input, "cause") or ""
        step = turn.step
        category = kb.causes[cause_id].category if cause_id in kb.causes else cause_id
        names = {c.id: c.name for c in kb.categories}
        if isinstance(step, Result) and category in names:
            likely = {c.id for c in step.categories if c.score > 0}
            key = "is_it_likely" if category in likely else "is_it_unlikely"
            return after_information(handler_input, Speech(t).say(key, category=names[category]))
        return after_information(handler_input, Speech(t).say("is_it_later"))


def _advice(turn: Turn, pending_key: str) -> Speech:
    """The advice so far: the result's headline and action, a red flag's action, or "after my questions"."""
    t, kb = turn.t, turn.kb
    step = turn.step
    if isinstance(step, Result):
        disposition = kb.dispositions[step.disposition]
        todo = fill(disposition.action, {"emergency_number": t.emergency_number})
        return Speech(t).text(disposition.headline).text(todo)
    action = red_flag_action(turn)
    if action:
        return Speech(t).text(t["advice_red_flag"].replace("{action}", action))
    return Speech(t).say(pending_key)


class WhereToGoHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("WhereToGoIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return after_information(handler_input, _advice(Turn.of(handler_input), "where_pending"))


class WhatToDoHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("WhatToDoIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return after_information(handler_input, _advice(Turn.of(handler_input), "what_pending"))


class PrivacyQuestionHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("PrivacyQuestionIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        speech = Speech(Turn.of(handler_input).t).say("privacy", days=str(ttl_days_from_env()))
        return after_information(handler_input, speech)
