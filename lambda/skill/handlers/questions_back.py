"""Questions people ask back: what the open question means, why it is asked, how many are left, "is it
shingles?", where to go, what to do, and what happens to their answers."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.conversation import ask, red_flag_action
from skill.locale import Strings
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
    """"Is it shingles?", "could it be a slipped disc?": no diagnosis. Answered from the person's own answers, in one
    breath: what they said that fits, and what the cause usually comes with that they have not said (engine.fit);
    before any answer, "after my questions"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("IsItCauseIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t, kb = turn.t, turn.kb
        target = resolved_id(handler_input, "cause") or ""
        known = target in kb.causes or any(c.id == target for c in kb.categories)
        if not known or not turn.started or not (turn.state["events"] or turn.state.get("carried")):
            return after_information(handler_input, Speech(t).say("is_it_later"))
        return after_information(handler_input, fit_speech(turn, target))


def _listed(t: Strings, items: list[str]) -> str:
    """ "a", "a and b" (at most two: one breath)."""
    items = items[:2]
    return f" {t['and']} ".join(items)


def fit_speech(turn: Turn, target: str) -> Speech:
    t, kb = turn.t, turn.kb
    found = engine.fit(turn.state, kb, target)
    if target in kb.causes:
        cause = kb.causes[target]
        name = t["is_it_rare_name"].replace("{cause}", cause.name) if cause.rare else cause.name
    else:
        name = kb.category(target).name
    said = _listed(t, [kb.findings[f].name(found.details.get(f)) for f in found.said])
    missing = _listed(t, [kb.findings[f].name() for f in found.missing])
    key = ("is_it_fits_missing" if said and missing else "is_it_fits" if said
           else "is_it_missing" if missing else "is_it_nothing")
    return Speech(t).say(key, cause=name, said=said, missing=missing)


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
