"""Answers to the open question: yes, no, don't know, a duration, a choice, or a symptom said at any time."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, ClassVar

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_intent_name, is_intent_name
from ask_sdk_model import Response

from skill.conversation import ack, respond
from skill.handlers import launch
from skill.offers import OFFERS, answerable, clarify, clarify_target, continue_after, holding
from skill.slots import raw_value, resolved_id
from skill.speech import Speech
from skill.turn import Turn
from triage import engine
from triage.engine import NO, YES
from triage.knowledge import Finding, Question, condition_refs

Handle = Callable[[Any, HandlerInput], Response]
NEGATIVE_STARTS = (["none"], ["neither"], ["nowhere"], ["nothing"], ["no"], ["not"])


def opens_session(handle: Handle) -> Handle:
    """An answer that opens a session ("ask back numbness helper: yes") answers nothing the person has heard: start
    the interview properly instead, with the welcome and the first question."""

    @functools.wraps(handle)
    def wrapper(self: Any, handler_input: HandlerInput) -> Response:
        session = handler_input.request_envelope.session
        if session is None or session.new:
            return launch.launch(handler_input)
        return handle(self, handler_input)

    return wrapper


def unheard(handler_input: HandlerInput) -> Response | None:
    """An interview that could not be read (another knowledge version after a deploy, a damaged state) starts again,
    keeping its red flags. A reply meant for a question of the old interview answers none of the new one: the new
    first question is asked, after the one-sentence notice. An open offer ("delete my data?") still takes its yes
    or no. A sign said in passing is not an answer, and is kept (VolunteerSymptomHandler, ChoiceHandler)."""
    turn = Turn.of(handler_input)
    return respond(handler_input, turn.state, Speech(turn.t)) if turn.salvaged and turn.offer is None else None


def opens_properly(handle: Handle) -> Handle:
    """For a handler whose every reply answers the open question: opens_session, then unheard."""

    @opens_session
    @functools.wraps(handle)
    def wrapper(self: Any, handler_input: HandlerInput) -> Response:
        return unheard(handler_input) or handle(self, handler_input)

    return wrapper


def answer(handler_input: HandlerInput, value: str) -> Response:
    """Apply an answer to the open question; anything that doesn't fit is re-asked, never lost. What a yes or a no
    means for a question that is not yes/no is the engine's rule (engine.answer)."""
    turn = Turn.of(handler_input)
    t = turn.t
    q = turn.question
    if q is None:
        return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)
    try:
        new_state = engine.answer(turn.state, turn.kb, value, asking=q)
    except engine.NeedsDetail:
        return continue_after(handler_input, Speech(t).say("duration_how_long" if q.type == "duration"
                                                           else "choice_which"), guide=True)
    except engine.InvalidAnswer:
        return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)
    if new_state["events"][-1][0] == "u":  # "no" to how long: nothing to measure, noted as not known
        return respond(handler_input, new_state, Speech(t).say("unknown_noted"))
    return respond(handler_input, new_state, ack(t, len(new_state["events"])))


class YesNoHandler(AbstractRequestHandler):
    """Yes and No: the answer to the open offer (skill.offers.OFFERS) if one is open, else to the open question."""

    def __init__(self, yes: bool) -> None:
        self.yes = yes
        self.intent = "AMAZON.YesIntent" if yes else "AMAZON.NoIntent"

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(self.intent)(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        offer = Turn.of(handler_input).offer
        if offer is not None:
            spec = OFFERS[offer]
            return spec.yes(handler_input) if self.yes else spec.no(handler_input)
        return answer(handler_input, YES if self.yes else NO)


class DontKnowHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DontKnowIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t = turn.t
        q = turn.question
        unsure = OFFERS[turn.offer].unsure if turn.offer is not None else None
        if unsure is not None:
            return unsure(handler_input)
        if q is None or holding(turn):
            return continue_after(handler_input, Speech(t).say("yes_no_hint"), guide=True)
        new_state = engine.dont_know(turn.state, turn.kb, asking=q)
        turn.update(new_state)
        intro = Speech(t)
        asked = turn.question
        if asked is not None and asked != q and not condition_refs(asked.ask_if).isdisjoint(q.on_unknown):
            intro.say("unknown_one_by_one")  # a grouped question: its signs come one at a time
        elif not q.is_red_flag:
            intro.say("unknown_noted")
        elif asked != q:
            intro.say("unknown_red_flag_noted")
        return respond(handler_input, new_state, intro)


class DurationHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DurationIntent")(handler_input))

    @opens_properly
    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t = turn.t
        q = turn.question
        value = raw_value(handler_input, "duration")
        if q is None or q.type != "duration" or turn.offer is not None:
            return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)
        if value is None:
            return continue_after(handler_input, Speech(t).say("duration_how_long"), guide=True)
        return answer(handler_input, value)


class ChoiceHandler(AbstractRequestHandler):
    """BodyAreaIntent, TriggerIntent and SkinSignIntent, read against the open question: a choice for it (one or two
    body areas; a rash, burning, both),
    "none of those" / "nowhere else" as a no to a yes/no question, or a symptom said in passing."""

    SLOTS: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {
        "BodyAreaIntent": (("area", "area2"), "BodyArea"),
        "TriggerIntent": (("trigger",), "TriggerType"),
        "SkinSignIntent": (("sign", "sign2"), "SkinSign"),
    }

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return any(is_intent_name(name)(handler_input) for name in self.SLOTS)

    @opens_session
    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t, kb = turn.t, turn.kb
        intent = str(get_intent_name(handler_input))
        slot_names, slot_type = self.SLOTS[intent]
        said = [(resolved_id(handler_input, n), (raw_value(handler_input, n) or "").lower()) for n in slot_names]
        values = list(dict.fromkeys(v for v, _ in said if v))
        words = " ".join(w for _, w in said if w)
        both = {v for v, w in said if v and BOTH.search(w)}  # "both legs", said inside the slot
        q = turn.question
        none_ids = {o.id for qq in kb.questions for o in qq.options if o.none}
        if q is not None and answerable(turn):
            if q.slot_type == slot_type:
                if not values:
                    return continue_after(handler_input, Speech(t).say("choice_no_match"), guide=True)
                return unheard(handler_input) or choose(handler_input, q, values, words, both)
            if values and all(v in none_ids for v in values) and words.split()[:1] in NEGATIVE_STARTS:
                # "none of those", "nowhere else", "neither": a no to whatever is open (a yes/no question, or the
                # other choice question's none option). Other words for a none option ("something else", "it just
                # started", "only my back") answer nothing else and are asked again.
                return unheard(handler_input) or answer(handler_input, NO)
        # Not the open question: if the choice names a symptom, take it as volunteered ("a rash" while another
        # question is open). An option that stands for several signs ("both") names nothing on its own.
        options = [o for qq in kb.questions if qq.slot_type == slot_type for o in qq.options
                   if o.id in values and len(o.findings) == 1]
        volunteered = [f for o in options for f in o.findings if kb.findings[f].volunteer]
        volunteered += [f for o in options if o.id in both for f in o.both]  # "both legs": the cited red flag
        if volunteered:
            return volunteer(handler_input, volunteered)
        # Not a symptom ("after sleeping funny" while another question is open): the answer to its own question,
        # said ahead, so that question is skipped later.
        owner = next((qq for qq in kb.questions if qq.slot_type == slot_type), None)
        places = [v for v in values if v not in none_ids]
        if owner is not None and q is not None and turn.offer is None and places:
            state = engine.answer_ahead(turn.state, kb, owner.id, places if owner.multiple else places[0])
            if state != turn.state:
                return respond(handler_input, state, Speech(t).say("noted"))
        return continue_after(handler_input, Speech(t).say("not_an_answer"), guide=True)


BOTH = re.compile(r"\bboth\b")


def choose(handler_input: HandlerInput, q: Question, values: list[str], words: str = "",
           both: set[str] | frozenset[str] = frozenset()) -> Response:
    """One or more options said for a choice question ("my bum and down my leg"). For a question marked
    ``multiple`` every place said is the answer; otherwise the option listed first in the knowledge is, and the
    other options' findings are recorded as volunteered, so nothing said is lost. "Nowhere else" said together with
    a place counts as the place. An option's ``both`` findings ("both legs": the cited red flag) are recorded as
    volunteered when "both" was said with it; its "is that new?" check then comes next, in this same turn."""
    turn = Turn.of(handler_input)
    order = [o.id for o in q.options]
    known = sorted((v for v in values if v in order), key=order.index)
    places = [v for v in known if not next(o for o in q.options if o.id == v).none] or known
    if "feet_and_hands" in places and "legs_feet" in places and "leg" not in words:
        places.remove("legs_feet")  # "my hands and my feet": one place (feet and hands), not two
    if not places:
        return continue_after(handler_input, Speech(turn.t).say("choice_no_match"), guide=True)
    try:
        state = engine.answer(turn.state, turn.kb, places if q.multiple else places[0], asking=q)
    except engine.TriageError:
        return continue_after(handler_input, Speech(turn.t).say("not_an_answer"), guide=True)
    options = [o for o in q.options if o.id in places]
    extra = [f for o in options[1:] for f in o.findings] if not q.multiple else []
    extra += [f for o in options if o.id in both for f in o.both]
    for fid in dict.fromkeys(extra):
        if turn.kb.findings[fid].volunteer:
            state = engine.volunteer(state, turn.kb, fid)
    return respond(handler_input, state, ack(turn.t, len(state["events"])))


def said_detail(finding: Finding, words: str) -> str | None:
    """The one sign of a compound finding the words name ("a fever" of weight loss, fever or night sweats), or None
    when they name none or several (the compound wording is kept)."""
    words = words.lower()
    named = [d.id for d in finding.details.values() if any(w in words for w in d.words)]
    return named[0] if len(named) == 1 else None


def volunteer(handler_input: HandlerInput, finding_ids: list[str], words: str = "") -> Response:
    turn = Turn.of(handler_input)
    state = new_state = turn.state
    for fid in finding_ids:
        new_state = engine.volunteer(new_state, turn.kb, fid, said_detail(turn.kb.findings[fid], words))
    if new_state == state:
        return continue_after(handler_input, Speech(turn.t).say("noted_already"))
    turn.offer = None
    return respond(handler_input, new_state, Speech(turn.t).say("noted"))


class VolunteerSymptomHandler(AbstractRequestHandler):
    """A sign said at any time is recorded (and an emergency acted on in the same turn). Read against the open
    question first: the sign that question takes as its yes (``yes_if_said``: "it's getting worse" to "is that new,
    or worse, since the numbness began?") answers it; a place that may mean the red flag asked about ("my bum is
    numb") is asked about (``clarify``)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("VolunteerSymptomIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn.of(handler_input)
        t = turn.t
        finding_id = resolved_id(handler_input, "symptom")
        finding = turn.kb.findings.get(finding_id or "")
        if finding is None or not finding.volunteer:
            return continue_after(handler_input, Speech(t).say("symptom_no_match"), guide=True)
        words = raw_value(handler_input, "symptom") or ""
        q = turn.question
        said = (finding.id, said_detail(finding, words))
        if q is not None and said in q.yes_if_said and turn.offer is None and not turn.salvaged:
            return answer(handler_input, YES)
        if clarify_target(turn, finding.id) is not None:  # "my bum is numb" to the bladder question: which?
            return clarify(handler_input, finding.id)
        return volunteer(handler_input, [finding.id], words)
