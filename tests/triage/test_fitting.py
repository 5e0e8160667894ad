"""Triage that fits the person (issue 9, item 5): rash apart from burning, multi-option answers, details of a
compound finding, and how a cause fits the person's own answers."""

from __future__ import annotations

from typing import Any

import pytest

from triage import engine
from triage.engine import Ask, Result
from triage.knowledge import Knowledge


def walk(kb: Knowledge, replies: dict[str, Any], default: str = "no") -> dict[str, Any]:
    """Answer every question asked: ``replies`` by question id, ``default`` otherwise."""
    state = engine.new_state(kb)
    for _ in range(60):
        q = engine.current_question(state, kb)
        if q is None:
            return state
        state = engine.answer(state, kb, replies.get(q.id, default), asking=q)
    raise AssertionError("the interview did not end")


def top_cause(kb: Knowledge, state: dict[str, Any]) -> str:
    res = engine.next_step(state, kb)
    assert isinstance(res, Result) and res.evidence
    return res.categories[0].causes[0]


CHRONIC = {"duration": "P2W", "spread_area": "back_only"}  # (lasting: "does moving help?" is not asked)


# --- rash apart from burning --------------------------------------------------------------------------------------

def test_the_rash_question_is_one_choice_with_a_none_option(kb: Knowledge) -> None:
    q = kb.questions_by_id["rash_or_burning"]
    assert q.type == "choice" and [o.id for o in q.options if o.none] == ["no_rash_or_burning"]
    both = next(o for o in q.options if o.id == "rash_and_burning")
    assert set(both.findings) == {"painful_rash", "burning_feeling"}


@pytest.mark.parametrize(("answer", "cause"), [("painful_rash", "shingles"), ("rash_and_burning", "shingles"),
                                               ("burning_feeling", "peripheral_neuropathy")])
def test_a_rash_points_to_shingles_and_burning_alone_does_not(kb: Knowledge, answer: str, cause: str) -> None:
    state = walk(kb, {**CHRONIC, "rash_or_burning": answer})
    assert top_cause(kb, state) == cause


def test_burning_feet_and_hands_is_neuropathy_never_shingles(kb: Knowledge) -> None:
    state = walk(kb, {**CHRONIC, "spread_area": "feet_and_hands", "rash_or_burning": "burning_feeling"})
    res = engine.next_step(state, kb)
    assert isinstance(res, Result)
    assert res.categories[0].causes[0] == "peripheral_neuropathy"
    assert res.categories[0].reasons[:2] == ("feet_and_hands", "burning_feeling")


def test_yes_to_the_rash_question_asks_which_and_no_is_neither(kb: Knowledge) -> None:
    state, q = at_question(kb, "rash_or_burning", CHRONIC)
    with pytest.raises(engine.NeedsDetail):
        engine.answer(state, kb, "yes", asking=q)
    assert engine.answer(state, kb, "no", asking=q)["events"][-1] == ["a", "rash_or_burning", "no_rash_or_burning"]


# --- several options in one answer ---------------------------------------------------------------------------------

def at_question(kb: Knowledge, qid: str, replies: dict[str, str]) -> tuple[dict[str, Any], Any]:
    state = engine.new_state(kb)
    while (q := engine.current_question(state, kb)) is not None and q.id != qid:
        state = engine.answer(state, kb, replies.get(q.id, "no"), asking=q)
    assert q is not None and q.id == qid
    return state, q


def test_a_multiple_choice_records_every_option_in_knowledge_order(kb: Knowledge) -> None:
    state, q = at_question(kb, "spread_area", CHRONIC)
    assert q.multiple
    after = engine.answer(state, kb, ["feet_and_hands", "buttocks_hip_groin", "feet_and_hands"], asking=q)
    assert after["events"][-1] == ["a", "spread_area", "buttocks_hip_groin", "feet_and_hands"]
    present = engine.findings(after, kb)
    assert "radiates_buttocks_hip_groin" in present and "feet_and_hands" in present
    assert engine.check_state(after, kb) is after
    # "nowhere else" said with a place counts as the place; the none option alone is a plain answer
    assert engine.answer(state, kb, ["back_only", "legs_feet"], asking=q)["events"][-1] == [
        "a", "spread_area", "legs_feet"]
    assert engine.answer(state, kb, ["back_only"], asking=q)["events"][-1] == ["a", "spread_area", "back_only"]


def test_several_options_are_refused_where_the_question_is_not_marked_multiple(kb: Knowledge) -> None:
    state, q = at_question(kb, "rash_or_burning", CHRONIC)
    assert not q.multiple
    with pytest.raises(engine.InvalidAnswer):
        engine.answer(state, kb, ["painful_rash", "burning_feeling"], asking=q)
    with pytest.raises(engine.InvalidAnswer):
        engine.answer(state, kb, ["painful_rash", "nonsense"], asking=q)


@pytest.mark.parametrize("event", [
    ["a", "spread_area", "feet_and_hands", "legs_feet"],  # not in the knowledge's order
    ["a", "spread_area", "legs_feet", "legs_feet"],  # twice
    ["a", "spread_area", "legs_feet", "back_only"],  # with the none option
    ["a", "rash_or_burning", "painful_rash", "burning_feeling"],  # not a multiple question
    ["a", "severe", "yes", "no"],
    ["d", "weight_loss_fever_sweats", "headache"],  # not one of its details
    ["d", "severe", "fever"],
    ["v", "weight_loss_fever_sweats", "fever"],  # the detail is its own event
])
def test_malformed_multi_values_and_details_are_refused(kb: Knowledge, event: list[str]) -> None:
    state = {**engine.new_state(kb), "events": [event]}
    with pytest.raises(engine.StateError):
        engine.check_state(state, kb)


def test_a_version_1_state_is_still_read_and_a_newer_unknown_version_is_salvaged(kb: Knowledge) -> None:
    v2 = walk(kb, {**CHRONIC, "spread_area": "legs_feet"})
    v1 = {**v2, "v": 1}
    assert engine.check_state(v1, kb) == v1
    assert engine.next_step(v1, kb) == engine.next_step(v2, kb)
    with pytest.raises(engine.StateError):
        engine.check_state({**v2, "v": 3}, kb)


def test_salvage_keeps_a_red_flag_from_a_multi_option_answer_and_a_volunteered_detail(kb: Knowledge) -> None:
    old = {"v": 2, "kb": "an older knowledge", "carried": [], "events": [
        ["v", "weight_loss_fever_sweats"], ["d", "weight_loss_fever_sweats", "fever"],
        ["a", "spread_area", "legs_feet", "feet_and_hands"]]}
    salvaged = engine.salvage(old, kb)
    assert salvaged["carried"] == ["weight_loss_fever_sweats"]
    assert engine.check_state(salvaged, kb) == salvaged


# --- what was said: the one sign of a compound finding --------------------------------------------------------------

def test_a_volunteered_detail_names_the_sign_said_and_a_yes_keeps_the_compound(kb: Knowledge) -> None:
    said = engine.volunteer(engine.new_state(kb), kb, "weight_loss_fever_sweats", "fever")
    assert said["events"] == [["v", "weight_loss_fever_sweats"], ["d", "weight_loss_fever_sweats", "fever"]]
    with pytest.raises(engine.UndoBlocked):  # the detail goes with its red flag, which is kept
        engine.undo(said, kb)
    assert engine.correctable(said, kb) == "weight_loss_fever_sweats"
    said = walk_from(kb, said, {"weight_loss_fever_sweats_new": "yes"})
    res = engine.next_step(said, kb)
    assert isinstance(res, Result) and res.urgent_reasons == ("weight_loss_fever_sweats",)
    finding = kb.findings["weight_loss_fever_sweats"]
    assert finding.because(False, res.details.get("weight_loss_fever_sweats")) == "you have had a fever"
    assert finding.because(True, res.details.get("weight_loss_fever_sweats")) == "they have had a fever"

    answered = walk(kb, {"weight_loss_fever_sweats": "yes", "weight_loss_fever_sweats_new": "yes"})
    res = engine.next_step(answered, kb)
    assert isinstance(res, Result) and not res.details
    assert "at least one of" in finding.because(False, None)


def walk_from(kb: Knowledge, state: dict[str, Any], replies: dict[str, str]) -> dict[str, Any]:
    while (q := engine.current_question(state, kb)) is not None:
        state = engine.answer(state, kb, replies.get(q.id, "no"), asking=q)
    return state


def test_a_detail_is_refused_for_a_finding_without_details(kb: Knowledge) -> None:
    with pytest.raises(engine.InvalidAnswer):
        engine.volunteer(engine.new_state(kb), kb, "severe", "fever")


# --- "is it shingles?" from the person's own answers -----------------------------------------------------------------

def test_fit_names_what_was_said_and_the_usual_sign_not_said(kb: Knowledge) -> None:
    state = walk(kb, {**CHRONIC, "rash_or_burning": "burning_feeling"})
    fit = engine.fit(state, kb, "shingles")
    assert fit.said == ("burning_feeling",) and fit.missing == ("painful_rash",)
    both = engine.fit(walk(kb, {**CHRONIC, "rash_or_burning": "rash_and_burning"}), kb, "shingles")
    assert both.said == ("painful_rash", "burning_feeling") and both.missing == ()
    nothing = engine.fit(walk(kb, CHRONIC), kb, "multiple_sclerosis")
    assert nothing.said == () and nothing.missing == ("comes_and_goes_elsewhere",)


def test_fit_for_a_category_lists_what_points_to_it_and_works_mid_interview(kb: Knowledge) -> None:
    state, _ = at_question(kb, "spread_area", CHRONIC)
    state = engine.answer(state, kb, ["legs_feet"])
    fit = engine.fit(state, kb, "nerve_compression")
    assert fit.said == ("radiates_legs_feet", "persistent") and fit.missing == ()
    assert isinstance(engine.next_step(state, kb), Ask)  # the interview is still going
    with pytest.raises(KeyError):
        engine.fit(state, kb, "not_a_cause")


# --- answers said ahead of their question (issue 9 item 6) ------------------------------------------------------------

@pytest.mark.parametrize(("question", "value"), [("duration", "P2D"), ("spread_area", ["legs_feet"]),
                                                 ("trigger", "sleep_position"), ("severe", "yes"),
                                                 ("rash_or_burning", "painful_rash")])
def test_an_answer_said_ahead_skips_its_question_of_every_type(kb: Knowledge, question: str, value: Any) -> None:
    state = engine.answer_ahead(engine.new_state(kb), kb, question, value)
    assert state["events"][-1][:2] == ["a", question]
    asked = []
    while (q := engine.current_question(state, kb)) is not None:
        asked.append(q.id)
        state = engine.answer(state, kb, {"improves_with_movement": "yes", "duration": "P2W"}.get(q.id, "no"),
                              asking=q)
    assert question not in asked
    assert asked[0] == kb.questions[0].id  # the red flags are still asked first


def test_an_answer_ahead_never_replaces_a_red_flag_or_an_answer_given(kb: Knowledge) -> None:
    fresh = engine.new_state(kb)
    assert engine.answer_ahead(fresh, kb, "cauda_equina", "no") == fresh  # red flags are asked, never assumed
    assert engine.answer_ahead(fresh, kb, "loss_bladder_bowel_new", "no") == fresh
    assert engine.answer_ahead(fresh, kb, "cauda_equina_sign_new", "no") == fresh
    once = engine.answer_ahead(fresh, kb, "duration", "P2D")
    assert engine.answer_ahead(once, kb, "duration", "P1Y") == once
    with pytest.raises(engine.InvalidAnswer):
        engine.answer_ahead(fresh, kb, "duration", "not a duration")
    with pytest.raises(engine.InvalidAnswer):
        engine.answer_ahead(fresh, kb, "no_such_question", "yes")


def test_undo_of_a_volunteered_detail_takes_the_finding_with_it(kb: Knowledge) -> None:
    start = engine.answer(engine.new_state(kb), kb, "no")
    said = engine.volunteer(start, kb, "diabetes_or_b12", "diabetes")
    assert said["events"][-2:] == [["v", "diabetes_or_b12"], ["d", "diabetes_or_b12", "diabetes"]]
    assert engine.undo(said, kb) == start
