"""People as they actually speak: every corpus item through the simulator's NLU and the real lambda_handler, at
its moment (tools/speech_eval.py). The targets of issue 11 are asserted here; the table is printed at the end of
the run (and by ``python -m tools.speech_eval``)."""

from __future__ import annotations

from collections import Counter

import pytest

from tools.nlu import LOCALES, normalize
from tools.speech_eval import HELD_OUT_PERCENT, Harness, load_corpus, model_samples
from triage.knowledge import load_knowledge

ITEMS = load_corpus()
KB = load_knowledge()
MOMENTS = {"launch", "after_result", "resume_offer", "any"}


def test_the_corpus_is_large_and_covers_every_locale():
    assert len(ITEMS) >= 800
    counts = Counter(i.locale for i in ITEMS)
    assert set(counts) == set(LOCALES) and min(counts.values()) >= 150, counts
    assert len({(i.locale, normalize(i.text)) for i in ITEMS}) >= 800  # distinct utterances, not repeats


def test_every_item_has_a_known_moment_and_kind():
    for item in ITEMS:
        assert item.at in MOMENTS or item.at in KB.questions_by_id, item
        assert item.kind and item.means is not None, item


def test_every_moment_can_be_reached():
    harness = Harness()
    for moment in {i.at for i in ITEMS} - {"any", "launch"}:
        assert harness.attributes_at(moment) is not None


def test_the_grouped_questions_and_the_questions_they_open_are_measured():
    """One question for several signs (cauda_equina), the "is any of it new?" check its yes opens, and the questions
    a yes opens (prompt_signs -> sudden / severe / spreading; improves_with_movement -> trigger) are only reached on
    some plans: each is a moment of yes and no items, and a denial of one of the grouped signs is tried there."""
    grouped = [q for q in KB.questions if q.type == "yes_no" and any(KB.findings[f].covers for f in q.on_yes)]
    opened = {q.ask_if for q in KB.questions if isinstance(q.ask_if, str)}
    gates = [q for q in KB.questions if q.type == "yes_no" and set(q.on_yes) & opened]
    checks = [q for q in KB.questions if q.follows in {f for g in grouped for f in g.on_yes}]
    assert grouped and gates and checks
    for q in [*grouped, *gates, *checks]:
        said = [i.means for i in ITEMS if i.at == q.id]
        assert said.count("yes") >= 5 and said.count("no") >= 5, (q.id, said.count("yes"), said.count("no"))
    for q in (g for g in grouped if g.is_red_flag):  # a red-flag sign denied alone must never be a no to the rest
        covered = {c for f in q.on_yes for c in KB.findings[f].covers}
        denials = {i.means["not"] for i in ITEMS if i.at == q.id and isinstance(i.means, dict) and "not" in i.means}
        assert denials == covered, (q.id, denials, covered)


def test_the_held_out_part_is_about_a_quarter_and_mostly_unseen():
    """The hash rule picks about a quarter. Held-out lines that are literally a sample are everyday phrases the model
    had before the corpus ("what does that mean", "yep"); they are reported but generalisation is measured on the
    others, which must stay the larger part of what is held out in every locale: the model's samples are written
    as patterns, not by copying corpus lines."""
    held = [i for i in ITEMS if i.held_out]
    assert 0.22 <= len(held) / len(ITEMS) <= 0.32, (len(held), len(ITEMS), HELD_OUT_PERCENT)
    for locale in LOCALES:
        samples = model_samples(locale)
        mine = [i for i in held if i.locale == locale]
        unseen = [i for i in mine if normalize(i.text) not in samples]
        assert len(unseen) >= 0.4 * len(mine), (locale, len(unseen), len(mine))


def test_every_question_can_be_explained_and_says_why_it_is_asked():
    for q in KB.questions:
        assert q.short and q.explain and q.why, f"questions.yaml: {q.id} needs short, explain and why"
        assert len(q.short.split()) <= 10, q.id


@pytest.mark.parametrize("locale", LOCALES)
def test_at_least_95_percent_understood_in_every_locale(speech_report, locale):
    ok, n = speech_report.rate(o for o in speech_report.outcomes if o.item.locale == locale)
    misses = [f"{o.item.text!r}: {o.why}" for o in speech_report.outcomes
              if o.item.locale == locale and o.status == "miss"]
    assert n and ok / n >= 0.95, f"{locale}: {ok}/{n}\n" + "\n".join(misses)


def test_every_volunteered_emergency_phrasing_is_acted_on_in_the_same_turn(speech_report):
    emergencies = [o for o in speech_report.emergencies if o.status != "skipped"]
    assert len(emergencies) >= 50
    assert [f"{o.item.locale} {o.item.text!r}: {o.why}" for o in emergencies if o.status != "ok"] == []


def test_no_negated_mention_is_ever_recorded_as_present(speech_report):
    assert len(speech_report.negations) >= 40
    assert [f"{o.item.text!r}: {o.why}" for o in speech_report.negations_recorded] == []


def test_the_held_out_part_scores_within_five_points_of_the_rest(speech_report):
    (held_ok, held_n), (rest_ok, rest_n) = speech_report.held_out_rates()
    assert held_n >= 150 and rest_n >= 500
    assert held_ok / held_n >= rest_ok / rest_n - 0.05, (held_ok, held_n, rest_ok, rest_n)


def test_findings_the_knowledge_lacks_are_skipped_with_a_reason_not_passed(speech_report):
    skipped = [o for o in speech_report.outcomes if o.status == "skipped"]
    for o in skipped:
        assert o.why.startswith("waiting for knowledge id"), o
        assert o.item.means.get("finding", o.item.means.get("not")) not in KB.findings


def test_the_probe_of_grouped_answers_never_records_a_denied_sign() -> None:
    """tests/speech/probe: answers to the grouped questions written without seeing the samples (measured, reported in
    the README, not yet held to the corpus targets). A denial of one sign must never be recorded, nor taken as a no
    to the whole question -- whatever else is not yet understood."""
    from tools.speech_eval import ROOT, evaluate, load_corpus

    report = evaluate(load_corpus(ROOT / "tests" / "speech" / "probe"))
    assert not report.negations_recorded
    denied = [o for o in report.outcomes if o.item.kind == "group_sign_denied"]
    assert len(denied) >= 30 and all(o.status != "miss" for o in denied), [o.why for o in denied if o.status == "miss"]
