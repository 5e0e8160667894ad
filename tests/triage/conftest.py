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
#   FRONT: the red_flag and severity phases, with the characterise phase answered by each of two tails;
#   BACK:  the characterise phase, after a front of all "no", and after a front with one red flag unknown twice.
# (The whole graph is ~2.8 million paths, about seven minutes: too slow for CI. tests/triage/test_invariants.py
# adds hypothesis-driven random full paths with volunteered findings.)
TAILS = {
    "dont_know": {},
    "compression": {
        "duration": ("P2W",), "improves_with_movement": ("no",), "spread_area": ("legs_feet",),
        "worse_standing_walking": ("yes",), "rash_or_burning": ("no",), "diabetes_or_b12": ("no",),
        "pain_worse_over_time_night": ("yes",), "comes_and_goes_elsewhere": ("no",),
    },
    "temporary": {"duration": ("PT2H",), "improves_with_movement": ("yes",), "trigger": ("sleep_position",)},
}


# The red flags beyond the article and every "is it new?" check are branched in their own front (CAUDA), with the
# article's red flags "no"; in the other fronts they are answered "no" / "yes, it's new" (NEW_FLAGS), so the size
# stays bounded (each red flag with its check has about a dozen replies).
NEW_FLAGS = {"urinary_retention": ("no",), "saddle_numbness": ("no",), "cancer_history": ("no",),
             **{f"{f}_new": ("yes",) for f in ("loss_bladder_bowel", "urinary_retention", "saddle_numbness",
                                                "weakness_walking_balance", "significant_trauma",
                                                "weight_loss_fever_sweats", "both_legs", "sexual_dysfunction")}}
CAUDA = {"significant_trauma": ("no",), "weight_loss_fever_sweats": ("no",),
         "sudden_onset": ("no",), "severe": ("no",), "spreading_or_worsening": ("no",)}


@pytest.fixture(scope="session")
def graph(kb: Knowledge) -> list[tuple[str, list[Any], dict[str, tuple[str, ...]]]]:
    """(label, path of (state, step), replies given) for every bounded path."""
    from tests.triage.walk import act, walk
    from triage import engine

    out: list[tuple[str, list[Any], dict[str, tuple[str, ...]]]] = []
    for name, tail in TAILS.items():
        for path, said in walk(kb, branch=frozenset({"red_flag", "severity"}), tail={**NEW_FLAGS, **tail}):
            out.append((f"front/{name}", path, said))
    for path, said in walk(kb, branch=frozenset({"red_flag"}), tail={**CAUDA, **TAILS["temporary"]}):
        out.append(("cauda/temporary", path, said))
    fronts = {"all_no": [], "weakness_unknown": ["no", "no", "no", "u", "u"]}
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
