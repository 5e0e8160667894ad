"""Speech for the interview: the next question or the result, the emergency instruction, cards, goodbyes.

Handlers call the triage core through the turn (skill.turn), then one of these. Emergency instructions always
come first in the turn. Offers (yes/no questions outside the interview) and the way back to whatever is open
are in skill.offers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from skill.locale import Strings
from skill.speech import Speech, fill, word_count
from skill.turn import Offer, Turn
from triage.engine import Ask, Result
from triage.knowledge import Knowledge
from triage.report import explain, prompt_signs, red_flag_signs

MAX_PREAMBLE_WORDS = 30


def finish(
    handler_input: HandlerInput,
    speech: Speech,
    reprompt: Speech | None = None,
    card: SimpleCard | None = None,
    end: bool = False,
) -> Response:
    turn = Turn.of(handler_input)
    notice = turn.take_notice()
    urgent_first = turn.offer is Offer.EMERGENCY or turn.urgent_first  # the emergency instruction comes first
    if notice and not urgent_first:
        speech = Speech(turn.t).say(notice).extend(speech)
    if turn.new_session and not turn.welcomed and not urgent_first:
        speech = Speech(turn.t).say("disclaimer_short").extend(speech)  # a one-shot: the disclaimer first
        turn.welcomed = True
    rb = handler_input.response_builder
    rb.speak(speech.ssml)
    if reprompt and not end:
        rb.ask(reprompt.ssml)
    if card is not None:
        rb.set_card(card)
    rb.set_should_end_session(end)
    return rb.response


def ack(t: Strings, n: int) -> Speech:
    """A short acknowledgement, varied but deterministic."""
    acks = t["acks"]
    return Speech(t).text(acks[n % len(acks)])


def respond(handler_input: HandlerInput, state: dict[str, Any], intro: Speech | None = None) -> Response:
    """Store the interview state and say what comes next: a question or the result."""
    turn = Turn.of(handler_input)
    turn.update(state)
    step = turn.step
    if isinstance(step, Ask):
        return ask(handler_input, step, intro)
    return result(handler_input, step, intro)


def reason(kb: Knowledge, finding_id: str, other: bool = False, res: Result | None = None) -> str:
    """A finding's "because ..." words, for the person ("they have ..." when asking for someone else), naming the
    one sign they said of a compound finding ("because you have had a fever")."""
    return kb.findings[finding_id].because(other, res.details.get(finding_id) if res is not None else None)


def question_speech(t: Strings, step: Ask, other: bool = False) -> tuple[Speech, Speech]:
    """The question as said to this person: plain words after "I don't know", a variant, or third person."""
    text, reprompt = step.words(other)
    speech = Speech(t)
    if step.rephrase:
        speech.say("rephrase_intro")
    speech.text(text)
    return speech, Speech(t).text(text).text(reprompt)


def ask(handler_input: HandlerInput, step: Ask, intro: Speech | None = None, guide: bool = False) -> Response:
    turn = Turn.of(handler_input)
    question, reprompt = question_speech(turn.t, step, turn.other)
    speech = Speech(turn.t)
    flag = step.question.follows
    if flag and turn.kb.findings[flag].floor == "emergency":
        # "Is that new?" after an emergency-level sign: the instruction comes first, in this same turn
        key = "emergency_if_new_other" if turn.other else "emergency_if_new"
        speech.say(key)
        turn.urgent_first = True
        reprompt = Speech(turn.t).say(key).extend(reprompt)
        if intro and word_count(speech.plain) + word_count(intro.plain) > MAX_PREAMBLE_WORDS:
            intro = None  # one breath: the instruction and the check; what was asked for is on the card
    if intro:
        speech.extend(intro)
    turn.offer = None
    turn.attrs.pop("narrowed", None)  # a narrowed question ("And is there ...?") ends when a question is asked
    turn.attrs.pop("clarify", None)  # and so does "is that numbness between your legs ...?"
    return finish(handler_input, speech.extend(reprompt if guide else question), reprompt)


# --- results -------------------------------------------------------------------------------------------------

def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def emergency(handler_input: HandlerInput, res: Result, repeat: bool = False) -> Response:
    """The emergency instruction, first and short, in the same turn the finding is heard."""
    turn = Turn.of(handler_input)
    t, kb = turn.t, turn.kb
    speech = Speech(t).say("emergency_now")
    if res.urgent_reasons:
        speech.say("emergency_why", reason=reason(kb, res.urgent_reasons[0], turn.other, res))
    speech.say("emergency_cant_call").say("emergency_offer")
    turn.offer = Offer.EMERGENCY
    _remember_result(handler_input, res)
    card = None if repeat else summary_card(t, kb, res, turn.other)
    return finish(handler_input, speech, Speech(t).say("emergency_now").say("emergency_offer"), card=card)


def result_speech(t: Strings, kb: Knowledge, res: Result, other: bool = False) -> Speech:
    """The disposition first, with its main reason, then what to do and where to go."""
    headline, _ = kb.dispositions[res.disposition].for_person(other)
    speech = Speech(t)
    if res.urgent_reasons:
        because = reason(kb, res.urgent_reasons[0], other, res)
        speech.say("because_sentence", headline=headline.rstrip("."), reason=because)
    elif res.unknown_red_flags and res.level > kb.level(kb.policy.default):  # set by a sign not ruled out
        warning = kb.findings[res.unknown_red_flags[0]].warning or ""
        speech.say("unsure_sentence", headline=headline.rstrip("."), warning=warning)
    else:
        speech.text(headline)
    return speech.extend(action_speech(t, speech, res.disposition, other))


def action_speech(t: Strings, said: Speech, disposition: str, other: bool = False) -> Speech:
    """What to do and where to go, in the locale's words ("GP" in en-GB, en-AU, en-IN), spoken in the same breath
    as the advice: the full sentence when it fits the one-breath limit, a shorter one otherwise (the card has it
    all)."""
    keys = [f"action_{disposition}", f"action_{disposition}_short"]
    for key in [f"{k}_other" for k in keys] if other else keys:
        try:
            template = t[key]
        except KeyError:
            continue
        action = Speech(t).text(template, doctor=t["doctor"])
        if word_count(said.plain) + word_count(action.plain) <= MAX_PREAMBLE_WORDS:
            return action
    return Speech(t).say("immediate_safety_net") if disposition == "immediate" else Speech(t)


def causes_speech(t: Strings, kb: Knowledge, res: Result, other: bool = False, said: tuple[str, ...] = ()) -> Speech:
    """The top one or two cause categories, with the main reason for the first -- one not already said in this turn
    (``said``: the findings the advice gave as its reason), so the same "because" is never said twice in a row."""
    speech = Speech(t)
    if not res.evidence:
        return speech.say("no_single_cause")
    first = res.categories[0]
    fresh = [f for f in first.reasons if f not in said]
    because = reason(kb, fresh[0], other, res) if fresh else None
    if first.causes:  # a specific cause, said as rare when the article calls it rare
        top = kb.causes[first.causes[0]]
        if because is None:
            speech.say("likely_cause_rare_noreason" if top.rare else "likely_cause_noreason", cause=top.name)
        else:
            speech.say("likely_cause_rare" if top.rare else "likely_cause", cause=top.name, reason=because)
    elif because is not None:
        speech.say("likely_one", category=kb.category(first.id).name, reason=because)
    else:
        speech.say("likely_one_noreason", category=kb.category(first.id).name)
    # the runner-up: the next cause of the same category, else the next category's likeliest cause
    others = [kb.causes[c] for c in first.causes[1:2]]
    for cat in res.categories[1 : kb.policy.spoken_categories]:
        if cat.score > 0 and not others:
            others = [kb.causes[c] for c in cat.causes[:1]]
    for runner in others:
        candidate = Speech(t).say("likely_also_rare" if runner.rare else "likely_also", cause=runner.name)
        if word_count(speech.plain) + word_count(candidate.plain) <= MAX_PREAMBLE_WORDS:
            speech.extend(candidate)
    return speech


def result(handler_input: HandlerInput, res: Result, intro: Speech | None = None) -> Response:
    """The whole advice in two breaths -- the disposition with its main reason, what to do and where to go; then the
    likeliest specific cause with its reason (a rare one said as rare) and a runner-up when it fits -- then the offer
    of the warning signs. A person who cannot reach the app hears it all; the card has everything. An emergency is
    the instruction alone, first and short (the causes on request)."""
    if res.disposition == "emergency":
        return emergency(handler_input, res)
    turn = Turn.of(handler_input)
    t, kb = turn.t, turn.kb
    said = tuple(res.urgent_reasons[:1])  # the advice's own reason (result_speech)
    speech = result_speech(t, kb, res, turn.other).breath().extend(causes_speech(t, kb, res, turn.other, said))
    turn.offer = Offer.SIGNS
    _remember_result(handler_input, res)
    return finish(handler_input, speech.say("result_offer"), Speech(t).say("result_offer_reprompt"),
                  card=summary_card(t, kb, res, turn.other))


def _remember_result(handler_input: HandlerInput, res: Result) -> None:
    codes = res.to_codes()
    codes["date"] = dt.datetime.now(dt.UTC).date().isoformat()
    Turn.of(handler_input).attrs["last"] = codes


def summary_card(t: Strings, kb: Knowledge, res: Result, other: bool = False) -> SimpleCard:
    """The full summary for the Alexa app, to show a doctor or carer."""
    number = t.emergency_number
    report = explain(res, kb, other)
    action = fill(report.action, {"emergency_number": number})
    lines = [f"{t['card_advice']}: {report.headline} {action}"]
    if report.why:
        lines.append(f"{t['card_why']}: " + "; ".join(report.why) + ".")
    lines += ["", f"{t['card_causes']}:"]
    if not report.categories:
        lines.append(t["card_no_single_cause"])
    for cat in report.categories:
        line = f"- {_sentence(cat.name)[:-1]}"
        if cat.causes:
            line += f", {t['card_most_likely']}: " + ", ".join(cat.causes)
        if cat.reasons:
            line += " (because " + "; ".join(cat.reasons) + ")"
        lines.append(line)
    lines += ["", *watch_lines(t, report.watch_list, report.unsure, report.prompt_signs), ""]
    lines.append(fill(t["card_disclaimer"], {"emergency_number": number}))
    return SimpleCard(title=t["card_title"], content="\n".join(lines))


def watch_lines(
    t: Strings, watch: tuple[str, ...], unsure: tuple[str, ...], prompt: tuple[str, ...]
) -> list[str]:
    lines = [f"{t['card_watch']}:"]
    lines += [f"- {sign}" + (f" {t['card_unknown_first']}" if sign in unsure else "") for sign in watch]
    lines.append(f"{t['card_watch_prompt']}: " + "; ".join(prompt) + ".")
    return lines


def signs_card(t: Strings, kb: Knowledge) -> SimpleCard:
    lines = [*watch_lines(t, red_flag_signs(kb), (), prompt_signs(kb)), ""]
    lines.append(fill(t["card_disclaimer"], {"emergency_number": t.emergency_number}))
    return SimpleCard(title=t["card_signs_title"], content="\n".join(lines))


def red_flag_action(turn: Turn) -> str | None:
    """What to do now because of a red flag already heard (None if none), as a template."""
    kb = turn.kb
    heard = turn.red_flags
    if not heard:
        return None
    worst = max(heard, key=lambda f: kb.level(kb.findings[f].floor or "routine"))
    _, action = kb.dispositions[kb.findings[worst].floor or "immediate"].for_person(turn.other)
    return action[:1].lower() + action[1:]


def urgent_action(turn: Turn) -> str | None:
    """What to do because of advice that is more than routine (a red flag heard, a sign not ruled out, a warning
    sign): the most urgent of the red-flag action and the result's own, as a template; None otherwise."""
    kb = turn.kb
    action = red_flag_action(turn)
    step = turn.step if turn.started else None
    if isinstance(step, Result) and step.level > kb.level(kb.policy.default):
        heard = [kb.level(kb.findings[f].floor or "routine") for f in turn.red_flags]
        if step.level > max(heard, default=-1):
            _, text = kb.dispositions[step.disposition].for_person(turn.other)
            action = text[:1].lower() + text[1:]
    return action


def goodbye(handler_input: HandlerInput) -> Speech:
    """Goodbye, with the advice again if it was more than routine, however the person leaves (stop, cancel, "no"
    to the last offers)."""
    turn = Turn.of(handler_input)
    action = urgent_action(turn)
    if action:
        return Speech(turn.t).text(turn.t["goodbye_red_flag"].replace("{action}", action))
    return Speech(turn.t).say("goodbye")
