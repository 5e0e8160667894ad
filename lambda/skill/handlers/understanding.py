"""Answers said the way people say them, read against the open question: partial answers ("a little"), negated
mentions ("no fever", "I'm not diabetic"), and dates instead of durations ("since Saturday")."""

from __future__ import annotations

import datetime as dt

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill.conversation import ack, respond
from skill.handlers.answers import answer, opens_properly
from skill.offers import (
    OFFERS,
    ask_rest_of_group,
    continue_after,
    holding,
    narrow,
    narrowed_option,
    narrowed_to,
    rest_of_group,
)
from skill.slots import raw_value, resolved_id
from skill.speech import Speech
from skill.turn import Offer, Turn
from triage import engine
from triage.durations import since_date
from triage.engine import NO, YES


class PartialAnswerHandler(AbstractRequestHandler):
    """"A little", "kind of", "sometimes": never silently a no. On a yes/no question the answer that allows the
    more urgent advice is counted (engine.cautious_answer: yes for a red flag) and the person is told so."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("PartialAnswerIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t, q = turn.t, turn.question
        if q is None or turn.offer is not None:
            return continue_after(handler_input, Speech(t).say("yes_no_hint"), guide=True)
        if q.type == "duration":
            return continue_after(handler_input, Speech(t).say("duration_how_long"), guide=True)
        if q.type == "choice":
            return continue_after(handler_input, Speech(t).say("choice_which"), guide=True)
        value = engine.cautious_answer(q, turn.kb)
        state = engine.answer(turn.state, turn.kb, value, asking=q)
        return respond(handler_input, state, Speech(t).say("partial_yes" if value == YES else "partial_no"))


LONG_STANDING = "P1Y"  # "for years", "it's an old problem" to how long: at least a year (a lower bound)


class NewOrLongStandingHandler(AbstractRequestHandler):
    """"I've had that for years", "it's not new" / "it's new", "it's got worse": the answer to a red flag's "is that
    new, or worse, since the numbness began?" check. Said to the red-flag question that check follows ("I've been
    like that for years" to the walking question), it answers both: yes, the sign is there, and it is long-standing
    (or new). To "how long have you had the numbness?" a long-standing answer is at least a year. Anywhere else it
    answers nothing: the question is asked again with its answers."""

    def __init__(self, new: bool) -> None:
        self.new = new
        self.intent = "NewSignIntent" if new else "LongStandingIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(self.intent)(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t, q, kb = turn.t, turn.question, turn.kb
        value = YES if self.new else NO
        if q is None or turn.offer is not None or holding(turn):
            return continue_after(handler_input, Speech(t).say("yes_no_hint"), guide=True)
        if q.follows:
            return answer(handler_input, value)
        if q.type == "duration":  # "I've had it for years": at least a year; "it's only just started": how long?
            if self.new:
                return continue_after(handler_input, Speech(t).say("duration_how_long"), guide=True)
            return answer(handler_input, LONG_STANDING)
        if q.type == "yes_no" and any(f in kb.new_check for f in q.on_yes):
            state = engine.answer(turn.state, kb, YES, asking=q)
            check = engine.current_question(state, kb)
            if check is not None and check.follows in q.on_yes:
                state = engine.answer(state, kb, value, asking=check)
                return respond(handler_input, state, ack(t, len(state["events"])))
        return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)


class NegatedSymptomHandler(AbstractRequestHandler):
    """"No fever", "I haven't wet myself": never records the finding. If the open yes/no question asks about it,
    it is a no to that question. If the open question asks about several signs ("a rash, burning, both, or
    neither?"), the one left is asked about ("Okay. And is there a burning feeling?"); "no burning either" to that is
    a no. Otherwise nothing is recorded and the open question is asked again."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("NegatedSymptomIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        q = turn.question
        finding_id = resolved_id(handler_input, "symptom")
        if q is not None and turn.offer is None and q.type == "yes_no" and finding_id in q.on_yes:
            return answer(handler_input, NO)
        narrowed = narrowed_to(turn)
        if narrowed is not None and finding_id in narrowed[1].findings:
            return OFFERS[Offer.NARROW].no(handler_input)  # "no burning either"
        left = narrowed_option(turn, finding_id)
        if left is not None:
            return narrow(handler_input, *left, intro=Speech(turn.t).say("negation_ok"))
        rest = rest_of_group(turn, q, finding_id)
        if rest:  # "I haven't wet myself" to the grouped bladder question: the others only
            return ask_rest_of_group(handler_input, rest)
        # the no to a later yes/no question, said ahead ("I'm not diabetic"): that question is skipped later
        # (never a red-flag question: engine.answer_ahead leaves those to be asked)
        later = turn.kb.yes_no_for.get(finding_id or "")
        if later is not None and q is not None and later.id != q.id and not holding(turn):
            state = engine.answer_ahead(turn.state, turn.kb, later.id, NO)
            if state != turn.state:
                turn.update(state)
        return continue_after(handler_input, Speech(turn.t).say("negation_noted"), info=True)


class DateHandler(AbstractRequestHandler):
    """"Since Saturday", "since yesterday": AMAZON.DATE, turned into how long from the request's timestamp.
    The device's time zone is not asked for (it needs the Alexa Settings API and a permission): dates are counted
    in UTC, which can be a day out near midnight -- too little to change the answer bands (a day or more)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DateIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t, q = turn.t, turn.question
        if q is None or q.type != "duration" or holding(turn) or turn.offer is not None:
            return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)
        value = raw_value(handler_input, "date")
        stamp = getattr(handler_input.request_envelope.request, "timestamp", None)
        now = stamp if isinstance(stamp, dt.datetime) else dt.datetime.now(dt.UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.UTC)
        duration = since_date(value, now.astimezone(dt.UTC)) if value else None
        if duration is None:
            return continue_after(handler_input, Speech(t).say("duration_how_long"), guide=True)
        return answer(handler_input, duration)


__all__ = ["DateHandler", "NegatedSymptomHandler", "NewOrLongStandingHandler", "PartialAnswerHandler", "ack"]
