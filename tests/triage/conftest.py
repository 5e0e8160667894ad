"""Shared fixtures for the triage-core tests (knowledge, engine). Helpers live in ``tests/triage/walk.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from triage.knowledge import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(scope="session")
def kb() -> Knowledge:
    return load_knowledge(str(KNOWLEDGE))


# The answer graph, bounded. Exhaustive over every reply (yes / no / "I don't know" with its rephrase, each choice
# option, durations PT2H and P2W) for:
#   FRONT: the red_flag and severity phases (with prompt_signs and, after a yes or "I don't know", its three
#          signs), with the characterise phase answered by each of three tails; "is it new?" checks "yes", and the
#          three cauda equina signs asked one by one after "I don't know" to cauda_equina "no" (NEW_FLAGS);
#   CAUDA: cauda_equina, the three signs it opens and every "is it new?" check those can open, the other red flags
#          "no" (cauda/signs); then the other red flags and their checks, cauda_equina "no" (cauda/others); both
#          with the severity phase "no" and the temporary tail. (Branching both together multiplies to ~450,000
#          paths; the combinations are left to the random full paths in test_invariants.py.)
#   SAID:  each cauda equina sign said on the person's own before the first question (its own check, then
#          cauda_equina in its "apart from what you've told me" wording when the sign is long-standing);
#   BACK:  the characterise phase, after a front of all "no", and after a front with one red flag unknown twice.
# (tests/triage/test_invariants.py adds hypothesis-driven random full paths with volunteered findings.)
TAILS = {
    "dont_know": {},
    "compression": {
        "duration": ("P2W",), "improves_with_movement": ("no",), "spread_area": ("legs_feet",),
        "worse_standing_walking": ("yes",), "rash_or_burning": ("no",), "diabetes_or_b12": ("no",),
        "pain_worse_over_time_night": ("yes",), "comes_and_goes_elsewhere": ("no",),
    },
    "temporary": {"duration": ("PT2H",), "improves_with_movement": ("yes",), "trigger": ("sleep_position",)},
}

# Every "is it new?" check an answer to a question asked of everyone can open (the three signs' own checks open
# after "I don't know" to cauda_equina, or follow a sign said on the person's own: CAUDA and SAID below).
ANSWER_CHECKS = ("cauda_equina_sign_new", "weakness_walking_balance_new", "significant_trauma_new",
                 "weight_loss_fever_sweats_new")
ONE_BY_ONE = ("bladder_bowel", "urinary_retention", "saddle_numbness")
NEW_FLAGS = {"cancer_history": ("no",), **{q: ("yes",) for q in ANSWER_CHECKS}, **{q: ("no",) for q in ONE_BY_ONE}}
OTHER_FLAGS = ("weakness_walking_balance", "significant_trauma", "weight_loss_fever_sweats", "cancer_history")
CAUDA = {
    "signs": {"prompt_signs": ("no",), **{q: ("no",) for q in OTHER_FLAGS}},
    "others": {"prompt_signs": ("no",), "cauda_equina": ("no",)},
}
# In SAID the other red flags are "no": only the sign said, its check and cauda_equina (with its check) branch.
SAID_SIGNS = ("loss_bladder_bowel", "urinary_retention", "saddle_numbness")
SAID = {"weakness_walking_balance": ("no",), "significant_trauma": ("no",), "weight_loss_fever_sweats": ("no",),
        "cancer_history": ("no",), "prompt_signs": ("no",)}


@pytest.fixture(scope="session")
def graph(kb: Knowledge) -> list[tuple[str, list[Any], dict[str, tuple[str, ...]]]]:
    """(label, path of (state, step), replies given) for every bounded path."""
    from tests.triage.walk import act, walk
    from triage import engine

    out: list[tuple[str, list[Any], dict[str, tuple[str, ...]]]] = []
    for name, tail in TAILS.items():
        for path, said in walk(kb, branch=frozenset({"red_flag", "severity"}), tail={**NEW_FLAGS, **tail}):
            out.append((f"front/{name}", path, said))
    for name, fixed in CAUDA.items():
        for path, said in walk(kb, branch=frozenset({"red_flag"}), tail={**fixed, **TAILS["temporary"]}):
            out.append((f"cauda/{name}", path, said))
    for sign in SAID_SIGNS:
        start = engine.volunteer(engine.new_state(kb), kb, sign)
        for path, said in walk(kb, state=start, branch=frozenset({"red_flag"}), tail={**SAID, **TAILS["temporary"]}):
            out.append((f"said/{sign}", path, said))
    fronts = {"all_no": [], "weakness_unknown": ["no", "u", "u"]}
    for name, prefix in fronts.items():
        state = engine.new_state(kb)
        for a in prefix:
            state = act(state, kb, a)
        while True:
            step = engine.next_step(state, kb)
            if step.question.phase == "characterise":  # type: ignore[union-attr]
                break
            state = act(state, kb, "yes" if step.question.follows else "no")  # type: ignore[union-attr]
        for path, said in walk(kb, state=state, branch=frozenset({"characterise"})):
            out.append((f"back/{name}", path, said))
    return out
