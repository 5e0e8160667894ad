"""Moving around the conversation: repeat, go back, start over, help, stop, fallback."""

from __future__ import annotations

import re
from typing import Any

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.conversation import ask, finish, goodbye, question_speech, respond
from skill.handlers import answers, launch
from skill.offers import OFFERS, continue_after, holding, offer_correction, starting_over
from skill.slots import raw_value, resolved_id
from skill.speech import Speech
from skill.turn import Offer, Turn
from triage import engine
from triage.engine import Ask

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
    """Repair, never the same words twice in a row (see repair)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.FallbackIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return repair(handler_input)


def repair(handler_input: HandlerInput) -> Response:
    """Misses in a row on one question: 1 the short question and the answers that work; 2 and 3 "I don't know" and
    help, in two wordings; 4 the question is left as not known and the interview moves on."""
    turn = Turn.of(handler_input)
    t = turn.t
    misses = turn.attrs.get("misses")
    misses = misses + 1 if isinstance(misses, int) and 0 < misses < 100 else 1
    turn.attrs["misses"] = misses
    handler_input.attributes_manager.request_attributes["miss"] = True
    step = turn.step
    if not isinstance(step, Ask) or turn.offer is not None:
        return continue_after(handler_input, Speech(t).say("fallback" if misses == 1 else "fallback_again"),
                              guide=True)
    q = step.question
    if misses > 3:  # a fourth miss on the same question: leave it as not known (a red flag is asked once more)
        turn.attrs.pop("misses", None)
        return respond(handler_input, engine.dont_know(turn.state, turn.kb, asking=q), Speech(t).say("repair_move_on"))
    accepted = Speech(t).text(q.reprompt) if q.type == "choice" else Speech(t).say(f"accept_{q.type}")
    if misses == 1:
        speech = Speech(t).say("fallback").text(q.short or q.text).extend(accepted)
    else:
        speech = Speech(t).say("repair_2" if misses % 2 == 0 else "repair_3").text(q.short or q.text)
    _, reprompt = question_speech(t, step)
    turn.offer = None
    return finish(handler_input, speech, reprompt)


class SkipHandler(AbstractRequestHandler):
    """AMAZON.NextIntent ("skip", "next question"): the open question is left as not known -- a red flag is asked
    once more in plainer words, as for "I don't know"."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.NextIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        if turn.question is None or holding(turn) or turn.offer is not None:
            return continue_after(handler_input, Speech(turn.t))
        return answers.DontKnowHandler().handle(handler_input)


class ResumeHandler(AbstractRequestHandler):
    """AMAZON.ResumeIntent ("carry on", "continue"): yes to the resume offer, else back to whatever is open."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.ResumeIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        session = handler_input.request_envelope.session
        if session is None or session.new:
            return launch.launch(handler_input)
        if turn.offer is Offer.RESUME:
            return OFFERS[Offer.RESUME].yes(handler_input)
        return continue_after(handler_input, Speech(turn.t))


class MoreHandler(AbstractRequestHandler):
    """AMAZON.MoreIntent ("tell me more"): yes to an offer to hear more; on a question, what it means."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.MoreIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        if turn.offer in (Offer.CAUSES, Offer.SIGNS, Offer.EMERGENCY):
            return OFFERS[turn.offer].yes(handler_input)
        step = turn.step
        if isinstance(step, Ask) and turn.offer is None:
            return ask(handler_input, step, Speech(turn.t).text(step.question.explain or step.question.reprompt))
        return continue_after(handler_input, Speech(turn.t).say("help_done"), info=True)


class ReportNumbnessHandler(AbstractRequestHandler):
    """"My back is numb", "let's start": opens the interview properly (welcome, disclaimer, first question) as a
    one-shot; inside a session, back to the open question."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("ReportNumbnessIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        session = handler_input.request_envelope.session
        turn = Turn.of(handler_input)
        ahead = said_ahead(handler_input)
        if session is None or session.new or not turn.started:
            return launch.launch(handler_input, ahead)
        if ahead and turn.offer is None:
            state = launch.record_ahead(turn, turn.state, ahead)
            if state != turn.state:
                return respond(handler_input, state, Speech(turn.t).say("noted"))
        return continue_after(handler_input, Speech(turn.t).say("report_noted"), info=True)


def said_ahead(handler_input: HandlerInput) -> list[tuple[str | None, Any]]:
    """How long and where, said with "my back's been numb": (question id, answer) for engine.answer_ahead, and
    (None, finding) for a finding said with them ("both legs": the cited red flag, as when volunteered)."""
    kb = Turn.of(handler_input).kb
    ahead: list[tuple[str | None, Any]] = []
    duration = raw_value(handler_input, "duration")
    if duration:
        ahead.append(("duration", duration))
    said = [(resolved_id(handler_input, n), (raw_value(handler_input, n) or "").lower()) for n in ("area", "area2")]
    areas = list(dict.fromkeys(v for v, _ in said if v))
    if areas:
        ahead.append(("spread_area", areas))
        options = {o.id: o for q in kb.questions if q.slot_type == "BodyArea" for o in q.options}
        ahead += [(None, f) for v, w in said if v in options and answers.BOTH.search(w) for f in options[v].both]
    return ahead
