"""One turn of the interview: take the state after an operation, say the next question or the result.

Handlers call the triage core, then one of these. Emergency instructions always come first in the turn.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response
from ask_sdk_model.ui import SimpleCard

from skill import state as st
from skill.locale import Strings
from skill.speech import Speech, fill, word_count
from triage import engine
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
    st.set_interview(handler_input, state)
    step = engine.next_step(state, st.kb())
    if isinstance(step, Ask):
        return ask(handler_input, step, intro)
    return result(handler_input, step, intro)


def question_speech(t: Strings, step: Ask) -> tuple[Speech, Speech]:
    q = step.question
    text = q.plain if step.rephrase and q.plain else q.text
    speech = Speech(t)
    if step.rephrase:
        speech.say("rephrase_intro")
    speech.text(text)
    return speech, Speech(t).text(text).text(q.reprompt)


def ask(handler_input: HandlerInput, step: Ask, intro: Speech | None = None, guide: bool = False) -> Response:
    t = st.strings(handler_input)
    question, reprompt = question_speech(t, step)
    speech = Speech(t)
    if intro:
        speech.extend(intro)
    st.set_pending(handler_input, None)
    return finish(handler_input, speech.extend(reprompt if guide else question), reprompt)


def continue_after(handler_input: HandlerInput, intro: Speech, guide: bool = False, info: bool = False) -> Response:
    """After help, information or an answer that didn't fit: back to whatever is open, losing nothing.

    guide: say the open question with its guidance (for answers that didn't fit).
    info: the turn gave information; after a result, offer what else can be done.
    """
    t = st.strings(handler_input)
    pending = st.pending(handler_input)
    if pending == "resume":
        return finish(handler_input, intro.say("resume_question"), Speech(t).say("resume_reprompt"))
    if pending == "delete":
        return finish(handler_input, intro.say("delete_confirm"), Speech(t).say("delete_reprompt"))
    step = engine.next_step(st.interview(handler_input), st.kb())
    if isinstance(step, Ask):
        back = Speech(t).say("back_to_questions")
        if info and step.number > 1 and word_count(intro.plain) + word_count(back.plain) <= MAX_PREAMBLE_WORDS:
            intro.extend(back)
        return ask(handler_input, step, intro, guide)
    if step.disposition == "emergency":
        st.set_pending(handler_input, "emergency")
        speech = Speech(t).say("emergency_now").extend(intro).say("emergency_offer")
        return finish(handler_input, speech, Speech(t).say("emergency_now").say("emergency_offer"))
    if pending == "causes" and not info:
        return finish(handler_input, intro.say("causes_offer"), Speech(t).say("causes_offer_reprompt"))
    if pending == "result" and not info:
        return finish(handler_input, intro.say("result_offer"), Speech(t).say("result_offer_reprompt"))
    st.set_pending(handler_input, "anything")
    return finish(handler_input, intro.say("anything_else"), Speech(t).say("anything_else_reprompt"))


# --- results -------------------------------------------------------------------------------------------------

def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def emergency(handler_input: HandlerInput, res: Result, repeat: bool = False) -> Response:
    """The emergency instruction, first and short, in the same turn the finding is heard."""
    t = st.strings(handler_input)
    kb = st.kb()
    speech = Speech(t).say("emergency_now")
    if res.urgent_reasons:
        speech.say("emergency_why", reason=kb.findings[res.urgent_reasons[0]].reason)
    speech.say("emergency_cant_call").say("emergency_offer")
    st.set_pending(handler_input, "emergency")
    _remember_result(handler_input, res)
    card = None if repeat else summary_card(t, kb, res)
    return finish(handler_input, speech, Speech(t).say("emergency_now").say("emergency_offer"), card=card)


def result_speech(t: Strings, kb: Knowledge, res: Result) -> Speech:
    """The disposition first, with its main reason; for "immediate", the safety net too."""
    disposition = kb.dispositions[res.disposition]
    speech = Speech(t)
    if res.urgent_reasons:
        reason = kb.findings[res.urgent_reasons[0]].reason
        speech.say("because_sentence", headline=disposition.headline.rstrip("."), reason=reason)
    elif res.unknown_red_flags and res.level == kb.level(kb.policy.unknown_floor):
        warning = kb.findings[res.unknown_red_flags[0]].warning or ""
        speech.say("unsure_sentence", headline=disposition.headline.rstrip("."), warning=warning)
    else:
        speech.text(disposition.headline)
    if res.disposition == "immediate":
        speech.say("immediate_safety_net")
    return speech


def causes_speech(t: Strings, kb: Knowledge, res: Result) -> Speech:
    """The top one or two cause categories, with the main reason for the first."""
    speech = Speech(t)
    if not res.evidence:
        return speech.say("no_single_cause")
    first = res.categories[0]
    name = kb.category(first.id).name
    if first.reasons:
        speech.say("likely_one", category=name, reason=kb.findings[first.reasons[0]].reason)
    else:
        speech.say("likely_one_noreason", category=name)
    for other in res.categories[1 : kb.policy.spoken_categories]:
        candidate = Speech(t).say("likely_two", category=kb.category(other.id).name)
        if word_count(speech.plain) + word_count(candidate.plain) <= MAX_PREAMBLE_WORDS:
            speech.extend(candidate)
    return speech


def result(handler_input: HandlerInput, res: Result, intro: Speech | None = None) -> Response:
    """Disposition first (no preamble), then the offer to hear the likely causes; the card has everything."""
    if res.disposition == "emergency":
        return emergency(handler_input, res)
    t = st.strings(handler_input)
    kb = st.kb()
    speech = result_speech(t, kb, res).say("causes_offer")
    st.set_pending(handler_input, "causes")
    _remember_result(handler_input, res)
    return finish(handler_input, speech, Speech(t).say("causes_offer_reprompt"), card=summary_card(t, kb, res))


def causes(handler_input: HandlerInput) -> Response:
    """Yes to "Would you like to hear the likely causes?"."""
    t = st.strings(handler_input)
    step = engine.next_step(st.interview(handler_input), st.kb())
    if not isinstance(step, Result):
        return continue_after(handler_input, Speech(t))
    st.set_pending(handler_input, "result")
    speech = causes_speech(t, st.kb(), step).say("result_offer")
    return finish(handler_input, speech, Speech(t).say("result_offer_reprompt"))


def _remember_result(handler_input: HandlerInput, res: Result) -> None:
    codes = res.to_codes()
    codes["date"] = dt.datetime.now(dt.UTC).date().isoformat()
    st.session(handler_input)["last"] = codes


def summary_card(t: Strings, kb: Knowledge, res: Result) -> SimpleCard:
    """The full summary for the Alexa app, to show a doctor or carer."""
    number = t.emergency_number
    report = explain(res, kb)
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
