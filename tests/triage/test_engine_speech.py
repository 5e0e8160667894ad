"""The engine rules behind spoken partial answers and "how many more questions?"."""

from __future__ import annotations

import itertools

import pytest

from triage import engine
from triage.knowledge import load_knowledge

KB = load_knowledge()


def test_a_partial_answer_counts_as_the_answer_allowing_the_more_urgent_advice():
    for q in KB.questions:
        if q.type != "yes_no":
            with pytest.raises(engine.InvalidAnswer):
                engine.cautious_answer(q, KB)
            continue
        value = engine.cautious_answer(q, KB)
        if q.is_red_flag:
            assert value == engine.YES, q.id
        level = {v: max((KB.level(KB.findings[f].floor) for f in fs if KB.findings[f].floor), default=-1)
                 for v, fs in ((engine.YES, q.on_yes), (engine.NO, q.on_no))}
        other = engine.NO if value == engine.YES else engine.YES
        assert level[value] >= level[other], q.id
    assert engine.cautious_answer(KB.questions_by_id["improves_with_movement"], KB) == engine.NO


def _answers(q, pick: int) -> list[str]:
    if q.type == "yes_no":
        return [engine.YES, engine.NO]
    if q.type == "choice":
        return [o.id for o in q.options]
    return ["PT2H", "P2W"]


@pytest.mark.parametrize("seed", range(12))
def test_how_many_more_is_an_upper_bound_on_every_path(seed):
    """Walk answer paths (each question answered by rotating through its answers, offset by the seed) and check that
    at every step the count said is at least the number of questions actually still to come."""
    state = engine.new_state(KB)
    counts = []
    for step in itertools.count():
        counts.append(engine.questions_left(state, KB))
        q = engine.current_question(state, KB)
        if q is None:
            break
        options = _answers(q, seed)
        state = engine.answer(state, KB, options[(seed + step * (seed + 1)) % len(options)])
    asked = len(counts) - 1
    for i, said in enumerate(counts):
        assert said >= asked - i, (counts, asked)
    assert counts[-1] == 0
