"""Offers -- yes/no questions outside the interview -- and the way back to whatever is open.

``OFFERS`` is the one table: for each offer (skill.turn.Offer), what it asks and what yes and no do. Adding an
offer is one ``Offer`` member, one entry here and its strings (strings.json); the yes/no handlers, help, repeat
and the interruptions ("what is sciatica?" in the middle of an offer) all go through this table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.conversation import (
    MAX_PREAMBLE_WORDS,
    ack,
    ask,
    causes_speech,
    emergency,
    finish,
    goodbye,
    reason,
    respond,
    signs_card,
)
from skill.persistence import ttl_days_from_env as ttl_days
from skill.speech import Speech, word_count
from skill.turn import Offer, Turn
from triage import engine
from triage.engine import Ask, Result
from triage.knowledge import Option, Question

log = logging.getLogger(__name__)

Action = Callable[[HandlerInput], Response]


@dataclass(frozen=True)
class OfferSpec:
    question: str  # strings key: the offer, as asked again after an interruption
    reprompt: str  # strings key
    yes: Action
    no: Action
    # When something else interrupts (help, "what is sciatica?", an answer that doesn't fit):
    #   first        the offer is asked again before anything else; interview answers wait for it
    #   unless_info  asked again, unless the interruption itself gave information
    #   never        not asked again (the turn goes back to the interview or the result)
    reask: Literal["first", "unless_info", "never"]
    # how it is asked again after an interruption, when the question itself needs the turn (default: ``question``)
    again: Callable[[HandlerInput, Speech], Response] | None = None
    # "I don't know" to the offer, when it means something of its own (default: the offer is asked again)
    unsure: Action | None = None


def answerable(turn: Turn) -> bool:
    """The open question may be answered directly: no offer is open, or only the narrowed form of that question."""
    return turn.offer is None or turn.offer is Offer.NARROW


def holding(turn: Turn) -> bool:
    """An offer is open that interview answers must wait for (resume, delete)."""
    return turn.offer is not None and OFFERS[turn.offer].reask == "first"


def continue_after(handler_input: HandlerInput, intro: Speech, guide: bool = False, info: bool = False) -> Response:
    """After help, information or an answer that didn't fit: back to whatever is open, losing nothing.

    guide: say the open question with its guidance (for answers that didn't fit).
    info: the turn gave information; after a result, offer what else can be done.
    """
    turn = Turn.of(handler_input)
    t = turn.t
    if guide:  # an answer that didn't fit: "repeat" will not say this apology again
        handler_input.attributes_manager.request_attributes["miss"] = True
    offer = turn.offer
    spec = OFFERS[offer] if offer is not None else None
    if spec is not None and spec.again is not None:
        return spec.again(handler_input, intro)
    if spec is not None and spec.reask == "first":
        return finish(handler_input, intro.say(spec.question), Speech(t).say(spec.reprompt, days=str(ttl_days())))
    step = turn.step
    if isinstance(step, Ask):
        back = Speech(t).say("back_to_questions")
        if info and step.number > 1 and word_count(intro.plain) + word_count(back.plain) <= MAX_PREAMBLE_WORDS:
            intro.extend(back)
        return ask(handler_input, step, intro, guide)
    if step.disposition == "emergency":
        turn.offer = Offer.EMERGENCY
        speech = Speech(t).say("emergency_now").extend(intro).say("emergency_offer")
        return finish(handler_input, speech, Speech(t).say("emergency_now").say("emergency_offer"))
    if spec is not None and spec.reask == "unless_info" and not info:
        return finish(handler_input, intro.say(spec.question), Speech(t).say(spec.reprompt))
    turn.offer = Offer.ANYTHING
    return finish(handler_input, intro.say("anything_else"), Speech(t).say("anything_else_reprompt"))


def after_information(handler_input: HandlerInput, intro: Speech, always: bool = False) -> Response:
    """After information asked for before any answer (a one-shot question, "what did you tell me last time?"):
    offer the questions rather than putting the first one in the same breath, so a "no thanks" is never taken
    as an answer. Otherwise back to whatever is open."""
    turn = Turn.of(handler_input)
    if turn.offer is None and isinstance(turn.step, Ask) and not turn.state["events"] and not turn.red_flags and (
        always or turn.new_session or not turn.started
    ):
        turn.offer = Offer.START
        return finish(handler_input, intro.say("start_offer"), Speech(turn.t).say("start_offer_reprompt"))
    return continue_after(handler_input, intro, info=True)


# --- what yes and no do -------------------------------------------------------------------------------------------

def resume(handler_input: HandlerInput, accept: bool) -> Response:
    """Yes or no to "Shall we carry on where you left off?". Either way, every red flag heard -- in the stored
    interview or in this session -- is kept."""
    turn = Turn.of(handler_input)
    stored = turn.attrs.pop("stored", None)
    turn.offer = None
    if accept and stored is not None:
        try:
            state = engine.check_state(stored, turn.kb)
        except engine.StateError:
            state = engine.salvage(stored, turn.kb)
        turn.replace(state)
        return respond(handler_input, turn.state, ack(turn.t, 0))
    turn.replace(engine.salvage(stored, turn.kb))  # a fresh interview with the stored red flags
    return respond(handler_input, turn.state, starting_over(turn))


def starting_over(turn: Turn) -> Speech:
    carried = turn.state["carried"]
    if carried:
        return Speech(turn.t).say("starting_over_carried", reason=reason(turn.kb, carried[0], turn.other))
    return Speech(turn.t).say("starting_over")


def delete_data(handler_input: HandlerInput) -> Response:
    """Delete the stored record, and store nothing more in this session."""
    turn = Turn.of(handler_input)
    t = turn.t
    turn.offer = None
    for key in ("stored", "last_stored", "kept"):
        turn.attrs.pop(key, None)
    turn.attrs["no_store"] = True
    if handler_input.attributes_manager.request_attributes.get("persist"):
        try:
            handler_input.attributes_manager.delete_persistent_attributes()
        except Exception as exc:  # the store may be down: say so, lose nothing else
            log.error("persistence.delete_failed code=%s", type(exc).__name__)
            return continue_after(handler_input, Speech(t).say("delete_failed"), info=True)
    log.info("persistence.deleted")
    return continue_after(handler_input, Speech(t).say("deleted"), info=True)


def keep_data(handler_input: HandlerInput) -> Response:
    turn = Turn.of(handler_input)
    turn.offer = None
    return continue_after(handler_input, Speech(turn.t).say("delete_kept"))


def causes(handler_input: HandlerInput) -> Response:
    """Yes to "Would you like to hear the likely causes?"."""
    turn = Turn.of(handler_input)
    step = turn.step
    if not isinstance(step, Result):
        return continue_after(handler_input, Speech(turn.t))
    turn.offer = Offer.SIGNS
    speech = causes_speech(turn.t, turn.kb, step, turn.other).say("result_offer")
    return finish(handler_input, speech, Speech(turn.t).say("result_offer_reprompt"))


def skip_causes(handler_input: HandlerInput) -> Response:
    turn = Turn.of(handler_input)
    turn.offer = Offer.SIGNS
    return continue_after(handler_input, ack(turn.t, 0))


def warning_signs(handler_input: HandlerInput) -> Response:
    turn = Turn.of(handler_input)
    handler_input.response_builder.set_card(signs_card(turn.t, turn.kb))
    turn.offer = None
    return after_information(handler_input, Speech(turn.t).say("warning_signs").say("warning_signs_prompt"))


def help_when_done(handler_input: HandlerInput) -> Response:
    turn = Turn.of(handler_input)
    turn.offer = None
    return finish(handler_input, Speech(turn.t).say("help_done"), Speech(turn.t).say("anything_else_reprompt"))


def leave(handler_input: HandlerInput) -> Response:
    """The person is done (no to the last offer). Before the goodbye, ask once whether to remember the advice
    (never before an urgent question or instead of emergency advice: only here, after the result)."""
    turn = Turn.of(handler_input)
    turn.offer = None
    if turn.persists and turn.consent is None and isinstance(turn.step, Result):
        turn.offer = Offer.REMEMBER
        return finish(handler_input, Speech(turn.t).say("remember_question"),
                      Speech(turn.t).say("remember_reprompt", days=str(ttl_days())))
    return finish(handler_input, goodbye(handler_input), end=True)


def remember(handler_input: HandlerInput, accept: bool) -> Response:
    """Yes or no to "shall I remember this advice?": the answer itself is kept (so it is not asked again)."""
    turn = Turn.of(handler_input)
    turn.offer = None
    turn.attrs["consent"] = accept
    log.info("consent.%s", "given" if accept else "declined")
    speech = Speech(turn.t).say("remember_yes" if accept else "remember_no").extend(goodbye(handler_input))
    return finish(handler_input, speech, end=True)


def start_questions(handler_input: HandlerInput) -> Response:
    """Yes to "Would you like to go through my questions now?"."""
    turn = Turn.of(handler_input)
    turn.offer = None
    return respond(handler_input, turn.state)


def repeat_emergency(handler_input: HandlerInput) -> Response:
    step = Turn.of(handler_input).step
    if isinstance(step, Result):
        return emergency(handler_input, step, repeat=True)
    return continue_after(handler_input, Speech(Turn.of(handler_input).t))


def emergency_goodbye(handler_input: HandlerInput) -> Response:
    return finish(handler_input, Speech(Turn.of(handler_input).t).say("emergency_goodbye"), end=True)


def offer_correction(handler_input: HandlerInput, finding_id: str) -> Response:
    """"Go back" right after a red flag: never undone silently. Ask the explicit confirmation instead."""
    turn = Turn.of(handler_input)
    turn.offer = Offer.CORRECT
    turn.attrs["correcting"] = finding_id
    return finish(handler_input, correction_question(turn), Speech(turn.t).say("correct_reprompt"))


def correction_question(turn: Turn) -> Speech:
    fid = turn.attrs.get("correcting")
    finding = turn.kb.findings.get(fid) if isinstance(fid, str) else None
    denial = None if finding is None else (finding.denial_other or finding.denial) if turn.other else finding.denial
    return Speech(turn.t).say("correct_confirm", denial=denial or "")


def withdraw(handler_input: HandlerInput) -> Response:
    """Yes to "Just to be sure: <denial>?": the red flag is taken back, explicitly."""
    turn = Turn.of(handler_input)
    fid = turn.attrs.pop("correcting", None)
    turn.offer = None
    try:
        state = engine.withdraw(turn.state, turn.kb, str(fid))
    except engine.TriageError:
        return continue_after(handler_input, Speech(turn.t))
    log.info("interview.red_flag_withdrawn")
    return respond(handler_input, state, Speech(turn.t).say("corrected"))


def keep_red_flag(handler_input: HandlerInput) -> Response:
    turn = Turn.of(handler_input)
    turn.attrs.pop("correcting", None)
    turn.offer = None
    return continue_after(handler_input, Speech(turn.t).say("correct_kept"))


# --- a sign ruled out of a question about several ------------------------------------------------------------------

def narrowed_option(turn: Turn, finding_id: str | None) -> tuple[Question, str] | None:
    """"No rash" to "a painful rash, a burning feeling, both, or neither?": the one option left to ask about (the
    question and that option's id), when the negated sign belongs to the open choice question and exactly one
    other single-sign option remains. Otherwise None."""
    q = turn.question
    if q is None or q.type != "choice" or not answerable(turn) or finding_id is None:
        return None
    if not any(finding_id in o.findings for o in q.options):
        return None
    rest = [o for o in q.options if not o.none and finding_id not in o.findings and len(o.findings) == 1]
    return (q, rest[0].id) if len(rest) == 1 else None


def narrowed_to(turn: Turn) -> tuple[Question, Option] | None:
    """The open question and the option "And is there ...?" asks about, while that narrowed form is open."""
    q, option_id = turn.question, turn.attrs.get("narrowed")
    if turn.offer is not Offer.NARROW or q is None:
        return None
    option = next((o for o in q.options if o.id == option_id), None)
    return (q, option) if option is not None else None


def narrow(handler_input: HandlerInput, q: Question, option_id: str, intro: Speech | None = None) -> Response:
    """Ask about the one sign left, as a yes/no question (yes means present); the negated sign is not recorded.
    Only the option is kept: the question is the open one (``ask`` drops the option when a question is asked)."""
    turn = Turn.of(handler_input)
    turn.offer = Offer.NARROW
    turn.attrs["narrowed"] = option_id
    option = next(o for o in q.options if o.id == option_id)
    sign = turn.kb.findings[option.findings[0]].named or option_id
    speech = (intro or Speech(turn.t)).say("narrow_question", sign=sign)
    return finish(handler_input, speech, Speech(turn.t).say("narrow_reprompt", sign=sign))


def narrow_again(handler_input: HandlerInput, intro: Speech) -> Response:
    """After an interruption ("what does that mean?", a no said ahead): the narrowed question again, if it is still
    the open one; otherwise whatever is open."""
    turn = Turn.of(handler_input)
    narrowed = narrowed_to(turn)
    turn.offer = None
    if narrowed is None:
        return continue_after(handler_input, intro)
    return narrow(handler_input, narrowed[0], narrowed[1].id, intro)


def narrowed_answer(handler_input: HandlerInput, present: bool) -> Response:
    """Yes or no to "And is there <the sign left>?": that option, or none of them, answers the open question."""
    turn = Turn.of(handler_input)
    narrowed = narrowed_to(turn)
    turn.attrs.pop("narrowed", None)
    turn.offer = None
    if narrowed is None:
        return continue_after(handler_input, Speech(turn.t))  # the question moved on: ask whatever is open
    q, option = narrowed
    try:
        state = engine.answer(turn.state, turn.kb, option.id if present else engine.NO, asking=q)
    except engine.TriageError:
        return continue_after(handler_input, Speech(turn.t).say("not_an_answer"), guide=True)
    return respond(handler_input, state, ack(turn.t, len(state["events"])))


# --- a sign said in words that may mean a red flag ("my bum is numb") -----------------------------------------------

def rest_of_group(turn: Turn, q: Question | None, finding_id: str | None) -> str:
    """The other signs of a grouped yes/no question, when one of them is ruled out ("trouble peeing, or numbness
    between the legs"): a yes or no to the open question then means the same as before, since the one ruled out is
    not among them. Empty when the open question groups nothing, or not this sign."""
    if q is None or turn.offer is not None or holding(turn) or not finding_id:
        return ""
    group = turn.kb.group_asking(q, finding_id)
    return "" if group is None else ", or ".join(turn.kb.findings[c].name() for c in group.covers if c != finding_id)


def ask_rest_of_group(handler_input: HandlerInput, rest: str) -> Response:
    """"Okay. And have you had <the other signs>?" -- the open grouped question, without the sign ruled out."""
    turn = Turn.of(handler_input)
    q = turn.question
    t, key = turn.t, "narrow_group_other" if turn.other else "narrow_group"
    guidance = (q.reprompt_other if turn.other and q.reprompt_other else q.reprompt) if q is not None else ""
    return finish(handler_input, Speech(t).say("negation_ok").say(key, signs=rest),
                  Speech(t).say(key, signs=rest).text(guidance))


def _target(turn: Turn, said: str) -> str | None:
    """The red flag the finding ``said`` may mean (its ``clarify``, knowledge) that the open question asks about,
    directly or in a group; None when there is none."""
    q = turn.question
    if q is None:
        return None
    return next((flag for flag in turn.kb.clarified_by.get(said, ()) if turn.kb.asks_about(q, flag)), None)


def clarify_target(turn: Turn, said: str) -> str | None:
    """The red flag to ask about when ``said`` is heard while nothing else is open; None: simply record it."""
    return None if turn.offer is not None or turn.salvaged else _target(turn, said)


def _clarifying(turn: Turn) -> tuple[str, str] | None:
    """(the red flag, the finding said) while "is that numbness between your legs ...?" is open. Only the finding
    said is kept in the session: the red flag follows from it and the open question."""
    said = turn.attrs.get("clarify")
    if not isinstance(said, str) or said not in turn.kb.findings:
        return None
    flag = _target(turn, said)
    return None if flag is None else (flag, said)


def clarify(handler_input: HandlerInput, said: str) -> Response:
    """Ask which: "Is that numbness between your legs, or right around your bottom ...?" Nothing is recorded yet."""
    turn = Turn.of(handler_input)
    turn.offer = Offer.CLARIFY
    turn.attrs["clarify"] = said
    return clarify_again(handler_input, Speech(turn.t).say("noted"))


def clarify_again(handler_input: HandlerInput, intro: Speech) -> Response:
    turn = Turn.of(handler_input)
    pair = _clarifying(turn)
    clarified = turn.kb.findings[pair[0]].clarify if pair is not None else None
    if clarified is None:  # an unreadable value (a forged or older session): back to the open question
        turn.offer = None
        turn.attrs.pop("clarify", None)
        return continue_after(handler_input, intro)
    text = clarified.question(turn.other)
    return finish(handler_input, intro.text(text), Speech(turn.t).text(text).say("yes_no_hint"))


def clarified(handler_input: HandlerInput, present: bool | None) -> Response:
    """Yes: the red flag is recorded as said (an emergency-level one: the instruction and "is it new?" at once).
    No: the finding said is recorded, and the open question is asked without that sign (a single question about it
    is answered no). Not sure: the finding said is recorded and the open question asked again in full."""
    turn = Turn.of(handler_input)
    pair = _clarifying(turn)
    turn.offer = None
    turn.attrs.pop("clarify", None)
    if pair is None:
        return continue_after(handler_input, Speech(turn.t))
    flag, said = pair
    kb, q = turn.kb, turn.question
    if present:
        return respond(handler_input, engine.volunteer(turn.state, kb, flag), Speech(turn.t).say("negation_ok"))
    turn.update(engine.volunteer(turn.state, kb, said))
    if present is None:
        return continue_after(handler_input, Speech(turn.t).say("clarify_unsure"))
    rest = rest_of_group(turn, q, flag)
    if rest:
        return ask_rest_of_group(handler_input, rest)
    if q is not None and flag in q.on_yes:
        state = engine.answer(turn.state, kb, engine.NO, asking=q)
        return respond(handler_input, state, ack(turn.t, len(state["events"])))
    return continue_after(handler_input, Speech(turn.t).say("negation_ok"))


OFFERS: dict[Offer, OfferSpec] = {
    Offer.RESUME: OfferSpec("resume_question", "resume_reprompt", yes=lambda h: resume(h, accept=True),
                            no=lambda h: resume(h, accept=False), reask="first"),
    Offer.DELETE: OfferSpec("delete_confirm", "delete_reprompt", yes=delete_data, no=keep_data, reask="first"),
    Offer.CAUSES: OfferSpec("causes_offer", "causes_offer_reprompt", yes=causes, no=skip_causes,
                            reask="unless_info"),
    Offer.SIGNS: OfferSpec("result_offer", "result_offer_reprompt", yes=warning_signs, no=leave,
                           reask="unless_info"),
    Offer.ANYTHING: OfferSpec("anything_else", "anything_else_reprompt", yes=help_when_done, no=leave,
                              reask="never"),
    Offer.EMERGENCY: OfferSpec("emergency_offer", "emergency_offer", yes=repeat_emergency, no=emergency_goodbye,
                               reask="never"),
    Offer.REMEMBER: OfferSpec("remember_question", "remember_reprompt", yes=lambda h: remember(h, accept=True),
                              no=lambda h: remember(h, accept=False), reask="first"),
    Offer.START: OfferSpec("start_offer", "start_offer_reprompt", yes=start_questions, no=leave, reask="first"),
    Offer.CORRECT: OfferSpec("correct_again", "correct_reprompt", yes=withdraw, no=keep_red_flag, reask="first"),
    # after an interruption the whole question is asked again (ask() closes the offer)
    Offer.NARROW: OfferSpec("narrow_again", "narrow_again", yes=lambda h: narrowed_answer(h, present=True),
                            no=lambda h: narrowed_answer(h, present=False), reask="never", again=narrow_again),
    # asked again after an interruption, before anything else (interview answers wait for it)
    Offer.CLARIFY: OfferSpec("yes_no_hint", "yes_no_hint", yes=lambda h: clarified(h, present=True),
                             no=lambda h: clarified(h, present=False), reask="first", again=clarify_again,
                             unsure=lambda h: clarified(h, present=None)),
}
