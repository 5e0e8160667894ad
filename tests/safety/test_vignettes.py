"""Safety evaluation over the clinical vignettes and the patient stories (tests/safety/conversations/vignettes.yaml,
stories.yaml: conversation files), played by benchmarks/safety_eval.py. Asserted:
emergency and immediate recall 100%, under-triage 0, over-triage 0 against the rules as written, top specific cause
>= 90% of the stories that name one. Reported (and only held above a sanity floor): exact-disposition and
top-category accuracy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from skill.conversation import MAX_PREAMBLE_WORDS
from skill.locale import strings_for
from skill.speech import BREATH, Speech
from tests.checkout import child_env
from tests.conversations import breath_words
from triage.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = re.sub(r"\s+", " ", (ROOT / "knowledge" / "article.txt").read_text("utf-8"))
LOCALES = {"en-US", "en-GB", "en-CA", "en-AU", "en-IN"}
KB = load_knowledge()

# Sanity floors, not targets. The vignettes are written from the same article as the knowledge, so a sound build
# matches (nearly) all of them; these floors leave room for a vignette a clinician disputes without blocking CI,
# yet a broken disposition mapping or category ranking (chance level is 20% for five dispositions, 33% for three
# categories) fails at once. Safety itself (recall, under-triage) is asserted exactly, below.
EXACT_FLOOR = 0.85
CATEGORY_FLOOR = 0.75


def _mismatches(outcomes: list[Any]) -> str:
    return "\n".join(
        f"{o.id}: expected {o.expected}/{o.expected_category}, got {o.got}/{o.got_category}\n{o.transcript[-600:]}"
        for o in outcomes if o.got != o.expected or o.got_category != o.expected_category
    )


def test_vignettes_are_well_formed_and_quote_the_article(safety_eval):
    vignettes = safety_eval.load_vignettes()
    assert len(vignettes) >= 40
    ids = [v["name"] for v in vignettes]
    assert len(ids) == len(set(ids))
    categories = {c.id for c in KB.categories} | {"none"}
    for v in vignettes:
        assert set(v) == {"name", "steps", "result", "basis"} | ({"locale"} & set(v)), v["name"]
        assert v.get("locale", "en-US") in LOCALES, v["name"]
        assert v["steps"][0] == {"say": "open back numbness helper"}, v["name"]
        assert all(set(step) == {"say"} and step["say"] for step in v["steps"]), v["name"]
        assert v["result"]["disposition"] in KB.dispositions, v["name"]
        assert v["result"]["category"] in categories, v["name"]
        assert re.sub(r"\s+", " ", v["basis"]["article"]) in ARTICLE, f"{v['name']}: not verbatim from the article"


# The people issue 9 names, each with a story (its name in stories.yaml).
NAMED_STORIES = {
    "S01-wheelchair-ten-years", "S02-unsteady-84-year-old", "S03-years-of-stenosis-walking-limits",
    "S04-long-standing-stress-incontinence", "S05-fever-from-a-cold", "S06-menopausal-night-sweats",
    "S07-fall-ten-years-ago", "S29-slept-twisted-woke-numb", "S33-burning-feet-with-diabetes", "S34-shingles-rash",
    "S19-past-cancer-night-pain", "S13-cant-pee", "S15-saddle-numbness-when-wiping", "S17-both-legs",
    "S23-dont-know-twice-to-bladder",
}
RULES = {"new_or_long_standing", "unknown_red_flag", "self_care_when"}


def test_stories_are_well_formed_and_name_their_basis(safety_eval):
    stories = safety_eval.load_vignettes(safety_eval.STORIES)
    ids = [s["name"] for s in stories]
    assert len(ids) == len(set(ids)) and set(ids) >= NAMED_STORIES, NAMED_STORIES - set(ids)
    assert len(stories) + len(safety_eval.load_vignettes()) >= 40
    categories = {c.id for c in KB.categories} | {"none"}
    for s in stories:
        assert set(s) == {"name", "steps", "result", "basis"} | ({"locale"} & set(s)), s["name"]
        assert s.get("locale", "en-US") in LOCALES, s["name"]
        assert s["steps"][0] == {"say": "open back numbness helper"}, s["name"]
        assert s["result"]["disposition"] in KB.dispositions and s["result"]["category"] in categories, s["name"]
        assert s["result"].get("cause", "herniated_disc") in KB.causes, s["name"]
        (kind, ref), = s["basis"].items()
        if kind == "article":
            assert re.sub(r"\s+", " ", ref) in ARTICLE, f"{s['name']}: basis is not verbatim from the article"
        elif kind == "cited":
            assert KB.findings[ref].cited, f"{s['name']}: {ref} is not a cited red flag"
        else:
            assert kind == "rule" and ref in RULES, s["name"]
    cited = {s["basis"]["cited"] for s in stories if "cited" in s["basis"]}
    assert cited == {f.id for f in KB.findings.values() if f.cited}  # every cited red flag has a story


def test_a_story_rests_on_a_cited_red_flag_it_records(safety_eval, outcomes):
    """A story whose basis is a cited red flag records that very finding: a "yes" to the one question for the
    three cauda equina signs is cauda_equina_sign (its own citation), not one of the signs it covers."""
    stories = {s["name"]: s["basis"]["cited"] for s in safety_eval.load_vignettes(safety_eval.STORIES)
               if "cited" in s["basis"]}
    heard = {o.id: set(o.findings) for o in outcomes if o.id in stories}
    assert set(heard) == set(stories)
    wrong = {name: (cited, sorted(heard[name])) for name, cited in stories.items() if cited not in heard[name]}
    assert not wrong, wrong


def test_no_over_triage_and_the_top_cause_is_right(safety_eval, outcomes):
    m = safety_eval.metrics(outcomes)
    assert m["over"] == [], _mismatches(outcomes)
    hit, total = m["cause"]
    assert total >= 15 and hit / total >= 0.9, _mismatches(outcomes)


def test_vignettes_cover_every_cause_red_flag_warning_sign_locale_and_unknown(safety_eval, outcomes):
    vignettes = {v["name"]: v for v in safety_eval.load_all()}
    assert {o.locale for o in outcomes} == LOCALES
    heard = {f for o in outcomes for f in o.findings}
    warning = [f.id for f in KB.findings.values() if f.floor and f.warning]  # red flags and warning signs
    assert set(warning) <= heard, f"not covered: {set(warning) - heard}"
    for cause in KB.causes.values():
        assert heard & set(cause.features), f"no vignette points to {cause.id}"
    expected = {v["result"]["disposition"] for v in vignettes.values()}
    assert expected == set(KB.dispositions)
    assert {v["result"]["category"] for v in vignettes.values()} == {c.id for c in KB.categories} | {"none"}
    # "I don't know" to a red flag (twice: the floor) and to other questions
    assert sum("DontKnowIntent" in o.intents for o in outcomes) >= 4
    # red flags volunteered mid-interview (after at least one answer), for the emergency and the others: each one a
    # person can say; a finding that only groups others into one question (cauda_equina_sign `covers` the three
    # cauda equina signs) is said through each sign it covers
    volunteered = {f for o in outcomes for f in o.volunteered if KB.findings[f].red_flag}
    sayable = {f.id for f in KB.red_flags if not f.covers}
    assert volunteered == sayable, sayable - volunteered
    grouped = [f for f in KB.red_flags if f.covers]
    assert grouped and all(set(f.covers) <= volunteered for f in grouped), grouped
    # and each grouping finding is heard through its own question, answered yes
    assert all(f.id in heard for f in grouped)


def test_scripts_are_understood_as_written(outcomes):
    """Every utterance fits the conversation (no "Sorry..."), so each vignette tests the path it claims."""
    bad = {o.id: o.misheard for o in outcomes if o.misheard}
    assert not bad, bad


def test_no_emergency_or_immediate_case_is_missed_and_nothing_is_under_triaged(safety_eval, outcomes):
    m = safety_eval.metrics(outcomes)
    assert m["emergency_recall"][1] >= 8 and m["immediate_recall"][1] >= 8
    assert m["emergency_recall"][0] == m["emergency_recall"][1], _mismatches(outcomes)
    assert m["immediate_recall"][0] == m["immediate_recall"][1], _mismatches(outcomes)
    assert m["under"] == [], _mismatches(outcomes)
    assert m["no_result"] == [], m["no_result"]


def test_card_and_stored_result_agree(safety_eval, outcomes):
    assert safety_eval.metrics(outcomes)["inconsistent"] == []


def test_accuracy_above_sanity_floor(safety_eval, outcomes):
    m = safety_eval.metrics(outcomes)
    exact, category = m["exact"][0] / m["exact"][1], m["category"][0] / m["category"][1]
    assert exact >= EXACT_FLOOR, _mismatches(outcomes)
    assert category >= CATEGORY_FLOOR, _mismatches(outcomes)


def test_the_evaluation_detects_under_triage(safety_eval):
    """The scorer is not vacuous: a vignette whose words deny the red flag its expectation names is counted as
    under-triaged and as a missed emergency."""
    # no to the five red-flag questions and to "sudden, severe or spreading?"; then a few hours, better when moving
    said = ["open back numbness helper", *["no"] * 6, "a few hours", "yes", "a tight belt"]
    wrong = {"name": "X-denied", "steps": [{"say": u} for u in said],
             "result": {"disposition": "emergency", "category": "nerve_compression"}, "basis": {"article": "-"}}
    outcome = safety_eval.run_vignette(wrong)
    assert outcome.got == "self_care" and outcome.got_category == "temporary"
    m = safety_eval.metrics([outcome])
    assert m["under"] == ["X-denied"] and m["emergency_recall"] == (0, 1)
    assert not safety_eval.safe([outcome])


def test_report_script_prints_the_figures_and_the_reference():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "safety_eval.py")], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=child_env(), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for label in ("emergency recall", "immediate recall", "exact-disposition accuracy", "under-triage",
                  "over-triage", "top-category accuracy", "top specific cause accuracy", "Semigran et al., BMJ 2015",
                  "57%", "80%"):
        assert label in done.stdout, label


def _action_words(locale: str, disposition: str) -> list[str]:
    """What to do (and where), as the skill may say it for this disposition: the full or short sentence, for the
    person or for someone else (skill/strings.json); for an emergency, the instruction itself."""
    t = strings_for(locale)
    if disposition == "emergency":
        return [Speech(t).say("emergency_now").plain]
    keys = [f"action_{disposition}{short}{other}" for short in ("", "_short") for other in ("", "_other")]
    keys += ["immediate_safety_net"] if disposition == "immediate" else []
    # "see a doctor soon", "book an appointment with your doctor": these headlines say what to do and where
    d = KB.dispositions[disposition]
    found = [h.rstrip(".") for h in (d.headline, d.headline_other) if h and "doctor" in h]
    for key in keys:
        try:
            found.append(Speech(t).say(key, doctor=t["doctor"]).plain)
        except KeyError:
            continue
    return found


def test_every_spoken_result_fits_two_breaths_and_names_what_to_do(outcomes):
    """Every advice the stories and vignettes reach, as spoken (a person who cannot reach the app hears only this):
    the disposition with what to do in the first breath; the likeliest cause in the second; an emergency is the
    instruction alone, in one. Each breath passes the one-breath limit (skill.conversation.MAX_PREAMBLE_WORDS)."""
    checked = 0
    for o in outcomes:
        for disposition, spoken in o.spoken:
            assert disposition is not None, (o.id, spoken)
            where = f"{o.id}: {' | '.join(spoken)}"
            assert len(spoken) == (1 if disposition == "emergency" else 2), where
            assert all(n <= MAX_PREAMBLE_WORDS for n in breath_words(BREATH.join(spoken))), where
            assert any(a in spoken[0] for a in _action_words(o.locale, disposition)), where
            if disposition != "emergency":
                cause = spoken[1].split("?")[0]
                assert re.search(r"likeliest cause is|could be|don't point to one kind of cause", cause), where
            checked += 1
    assert checked >= len(outcomes)
