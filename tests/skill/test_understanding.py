"""Understanding by context and conversation repair, through the real handler with real envelopes: answers that
arrive as another intent, partial answers, negations, dates, two body areas, questions back, one-shots, repair."""

from __future__ import annotations

import itertools

import pytest

from tools.speech_eval import PLANS, UNKNOWN  # the answer plans that reach every question
from triage import engine
from triage.knowledge import condition_refs, load_knowledge

KB = load_knowledge()
FIRST = KB.questions[0]


def _volunteered_first(question_id: str) -> str | None:
    """A red flag that is understood when said but never asked: its check is reached by saying it."""
    flag = KB.questions_by_id[question_id].follows
    return flag if flag and not any(flag in q.on_yes for q in KB.questions) else None


def _plan_for(question_id: str) -> dict[str, str]:
    """Answers that reach question_id: a red flag's "is it new?" check needs a yes to that red flag first; the
    engine skips questions that can no longer change the advice, so one plan does not reach every question."""
    target = KB.questions_by_id[question_id]
    extra = {}
    if target.follows:
        extra = {q.id: "yes" for q in KB.questions if target.follows in q.on_yes}
    said = _volunteered_first(question_id)
    for plan in PLANS:
        plan = {**plan, **extra}
        state = engine.new_state(KB)
        if said:
            state = engine.volunteer(state, KB, said)
        for _ in range(60):
            q = engine.current_question(state, KB)
            if q is None:
                break
            if q.id == question_id:
                return plan
            value = plan.get(q.id, "no")
            state = engine.dont_know(state, KB) if value == UNKNOWN else engine.answer(state, KB, value)
    raise AssertionError(f"{question_id} is never asked")


def at(conv, question_id: str):
    """Launch and answer by the first plan that reaches question_id, until it is open."""
    plan = _plan_for(question_id)
    conv.launch()
    said = _volunteered_first(question_id)
    if said:
        conv.intent("VolunteerSymptomIntent", {"symptom": {"value": said, "id": said}})
    for _ in range(60):
        q = engine.current_question(conv.attributes["interview"], KB)
        assert q is not None
        if q.id == question_id:
            return q
        value = plan.get(q.id, "no")
        if q.type == "duration":
            conv.intent("DurationIntent", {"duration": value})
        elif q.id == "spread_area":
            conv.intent("BodyAreaIntent", {"area": {"value": value, "id": value}})
        elif value == UNKNOWN:
            conv.intent("DontKnowIntent")
        elif q.type == "choice" or value == "no":
            conv.no()
        else:
            conv.yes()
    raise AssertionError(question_id)


def events(conv):
    return conv.attributes["interview"]["events"]


def test_repair_never_says_the_same_words_twice_and_moves_on_after_four_misses(conversation):
    conv = conversation("en-GB")
    conv.launch()
    turns = [conv.intent("AMAZON.FallbackIntent") for _ in range(4)]
    speeches = [t.speech for t in turns]
    assert all(a != b for a, b in itertools.pairwise(speeches)), speeches
    assert FIRST.short in speeches[0] and "Say yes, no, or I don't know" in speeches[0]
    assert len(speeches[0].split()) < len(f"Sorry, I didn't get that. {FIRST.text} {FIRST.reprompt}".split())
    assert "I don't know" in speeches[1] and "help" in speeches[1]
    assert "I don't know" in speeches[2]
    # the fourth: left as not known; a red flag is then asked once more in plainer words
    assert events(conv) == [["u", FIRST.id]]
    assert FIRST.plain in speeches[3]
    # and an answer understood starts the count again
    conv.no()
    assert conv.intent("AMAZON.FallbackIntent").speech.startswith("Sorry, I didn't get that.")


def test_repeat_after_a_miss_repeats_the_question_not_the_apology(conversation):
    conv = conversation()
    conv.launch()
    conv.intent("AMAZON.FallbackIntent")
    again = conv.intent("AMAZON.RepeatIntent")
    assert "Sorry" not in again.speech and FIRST.text in again.speech


@pytest.mark.parametrize("question_id", [q.id for q in KB.questions if q.type == "yes_no"])
def test_a_partial_answer_is_never_silently_the_reassuring_one(conversation, question_id):
    conv = conversation()
    q = at(conv, question_id)
    turn = conv.intent("PartialAnswerIntent")
    recorded = events(conv)[-1]
    assert recorded[:2] == ["a", q.id]
    if q.is_red_flag:
        assert recorded[2] == "yes"
    assert recorded[2] == engine.cautious_answer(q, KB)
    # told how it was counted -- unless the answer ended the questions: the result comes first, with its reason
    assert "To be safe" in turn.speech or conv.attributes.get("pending") in ("result", "emergency"), turn.speech


def test_a_negation_is_a_no_to_its_own_question_and_never_a_symptom_elsewhere(conversation):
    """Said while another question is open, "I'm not diabetic" answers its own (later) question no, ahead, so that
    question is skipped; the open question is asked again; no finding is ever recorded. A red-flag question is
    never answered ahead: it is still asked."""
    conv = conversation()
    q = at(conv, "weight_loss_fever_sweats")
    conv.intent("NegatedSymptomIntent", {"symptom": {"value": "fever", "id": "weight_loss_fever_sweats"}})
    assert events(conv)[-1] == ["a", q.id, "no"]
    before = list(events(conv))
    turn = conv.intent("NegatedSymptomIntent", {"symptom": {"value": "diabetic", "id": "diabetes_or_b12"}})
    assert events(conv) == [*before, ["a", "diabetes_or_b12", "no"]]
    assert "diabetes_or_b12" not in engine.findings(conv.attributes["interview"], KB)
    assert engine.current_question(conv.attributes["interview"], KB).text in turn.speech
    conv = conversation()
    at(conv, "significant_trauma")
    before = list(events(conv))
    turn = conv.intent("NegatedSymptomIntent", {"symptom": {"value": "cancer", "id": "cancer_history"}})
    assert events(conv) == before  # "I've never had cancer" before that red-flag question: it is still asked
    assert engine.current_question(conv.attributes["interview"], KB).id == "significant_trauma"


def test_none_of_those_said_to_a_yes_no_question_is_a_no(conversation):
    conv = conversation()
    q = at(conv, "sudden_onset")
    conv.intent("TriggerIntent", {"trigger": {"value": "none of those", "id": "no_trigger"}})
    assert events(conv)[-1] == ["a", q.id, "no"]
    q = engine.current_question(conv.attributes["interview"], KB)
    assert q.type == "yes_no"
    conv.intent("BodyAreaIntent", {"area": {"value": "nowhere else", "id": "back_only"}})
    assert events(conv)[-1] == ["a", q.id, "no"]


@pytest.mark.parametrize("question_id", ["cauda_equina", "prompt_signs"])
def test_none_of_those_said_to_a_grouped_question_is_a_no_to_all_of_it(conversation, question_id):
    """The questions that name several signs at once invite "none of those": a no to the whole question, so the
    signs it groups are not asked one by one."""
    conv = conversation()
    q = at(conv, question_id)
    conv.intent("TriggerIntent", {"trigger": {"value": "none of those", "id": "no_trigger"}})
    assert events(conv)[-1] == ["a", q.id, "no"]
    nxt = engine.current_question(conv.attributes["interview"], KB)
    opened = {o.id for o in KB.questions if not condition_refs(o.ask_if).isdisjoint(q.on_yes) or o.follows in q.on_yes}
    assert opened and nxt is not None and nxt.id not in opened


@pytest.mark.parametrize("sign", [c for f in KB.questions_by_id["cauda_equina"].on_yes for c in KB.findings[f].covers])
def test_denying_one_sign_of_the_grouped_question_is_not_a_no_to_all_of_it(conversation, sign):
    """ "I haven't wet myself" to "bladder or bowels, trouble peeing, or numb between your legs?" says nothing
    about the other two: nothing is recorded, and the other two are asked about in the same turn, not the one just
    denied ("Okay. And have you had trouble peeing, or numbness between the legs?"); a no to that is a no to the
    grouped question, a yes its yes (its "is any of that new?" check follows)."""
    covers = KB.findings["cauda_equina_sign"].covers
    for then, recorded in (("no", None), ("yes", "cauda_equina_sign")):
        conv = conversation()
        q = at(conv, "cauda_equina")
        before = list(events(conv))
        turn = conv.intent("NegatedSymptomIntent", {"symptom": {"value": sign.replace("_", " "), "id": sign}})
        assert events(conv) == before
        assert engine.current_question(conv.attributes["interview"], KB).id == q.id
        assert turn.speech.startswith("Okay. And have you had") and not turn.ended, turn.speech
        assert KB.findings[sign].name() not in turn.speech
        assert all(KB.findings[c].name() in turn.speech for c in covers if c != sign), turn.speech
        assert not engine.findings(conv.attributes["interview"], KB)
        reply = conv.yes() if then == "yes" else conv.no()
        assert events(conv)[-1] == ["a", q.id, then]
        assert engine.findings(conv.attributes["interview"], KB) == ((recorded,) if recorded else ())
        assert ("Is any of that new" in reply.speech) == (then == "yes"), reply.speech


def test_two_body_areas_record_both(conversation):
    conv = conversation()
    at(conv, "spread_area")
    conv.intent("BodyAreaIntent", {"area": {"value": "bum", "id": "buttocks_hip_groin"},
                                   "area2": {"value": "leg", "id": "legs_feet"}})
    # one answer naming both places, in the knowledge's order (spread_area is marked `multiple`)
    assert ["a", "spread_area", "legs_feet", "buttocks_hip_groin"] in events(conv)
    present = engine.findings(conv.attributes["interview"], KB)
    assert "radiates_legs_feet" in present and "radiates_buttocks_hip_groin" in present
    # the legs answer opens the standing-and-walking question
    assert engine.current_question(conv.attributes["interview"], KB).id == "worse_standing_walking"


@pytest.mark.parametrize(("date", "duration"), [("2026-11-23", "P1D"), ("2026-11-21", "P3D"),
                                                ("2026-11-28", "P3D"), ("2026-W46", "P15D")])
def test_since_a_date_becomes_how_long_from_the_request_timestamp(conversation, date, duration):
    conv = conversation()  # the envelopes' timestamp is 2026-11-24T12:00:00Z, a Tuesday
    at(conv, "duration")
    conv.intent("DateIntent", {"date": date})
    assert events(conv)[-1] == ["a", "duration", duration]


def test_a_date_that_cannot_be_a_start_asks_how_long(conversation):
    conv = conversation()
    at(conv, "duration")
    turn = conv.intent("DateIntent", {"date": "2027-06-01"})
    assert events(conv)[-1][1] != "duration" and "How long, roughly?" in turn.speech


@pytest.mark.parametrize("question_id", ["cauda_equina", "prompt_signs", "severe"])
def test_questions_back_explain_why_and_how_many(conversation, question_id):
    conv = conversation()
    q = at(conv, question_id)
    explained = conv.intent("ExplainQuestionIntent")
    assert q.explain in explained.speech and q.text in explained.speech
    why = conv.intent("WhyAskIntent")
    assert q.why in why.speech and q.text in why.speech
    left = engine.questions_left(conv.attributes["interview"], KB)
    assert f"At most {left} more questions" in conv.intent("HowManyMoreIntent").speech
    assert not any(e[1] == q.id for e in events(conv))  # nothing was answered


@pytest.mark.parametrize("intent", ["WhatToDoIntent", "WhereToGoIntent", "PrivacyQuestionIntent",
                                    "ExplainCauseIntent", "IsItCauseIntent"])
def test_a_one_shot_question_back_starts_with_the_disclaimer_and_offers_the_questions(conversation, intent):
    slots = {"cause": {"value": "sciatica", "id": "herniated_disc"}} if "Cause" in intent else None
    conv = conversation("en-AU")
    turn = conv.intent(intent, slots)
    assert turn.speech.startswith("Back Numbness Helper gives information, not a diagnosis.")
    assert conv.attributes["pending"] == "start" and not turn.ended
    assert not conv.attributes.get("interview", {}).get("events")
    assert FIRST.text in conv.yes().speech


def test_a_one_shot_complaint_starts_with_the_welcome_and_the_first_question(conversation):
    turn = conversation("en-AU").intent("ReportNumbnessIntent")
    assert turn.speech.startswith("Welcome to Back Numbness Helper.")
    assert "not a diagnosis" in turn.speech and "call 000" in turn.speech
    assert FIRST.text in turn.speech and not turn.ended


def test_is_it_after_the_result_says_whether_that_kind_of_cause_is_likely(conversation):
    conv = conversation()
    at(conv, "comes_and_goes_elsewhere")
    conv.no()
    assert conv.attributes["pending"] == "result"
    turn = conv.intent("IsItCauseIntent", {"cause": {"value": "slipped disc", "id": "herniated_disc"}})
    assert "Only a doctor can tell for sure" in turn.speech


def test_skip_leaves_the_question_as_not_known_and_resume_carries_on(conversation):
    conv = conversation()
    q = at(conv, "severe")
    conv.intent("AMAZON.NextIntent")
    assert events(conv)[-1] == ["u", q.id]
    nxt = engine.current_question(conv.attributes["interview"], KB)
    assert nxt.text in conv.intent("AMAZON.ResumeIntent").speech
