"""5. Invariants over the answer graph: exhaustive where bounded (see the ``graph`` fixture in conftest.py), and
hypothesis-driven random full paths with volunteered findings at random points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.triage.walk import LEVELS, UNKNOWN, replies, roundtrip, run
from triage import engine
from triage.engine import Ask, Result
from triage.knowledge import Knowledge

Graph = list[tuple[str, list[Any], dict[str, tuple[str, ...]]]]
PHASES = ["red_flag", "severity", "characterise"]
EMERGENCY_FLAG = "loss_bladder_bowel"


def affirmed(kb: Knowledge, state: dict[str, Any]) -> list[str]:
    """Red flags said yes to (answer, rephrased answer, volunteer, carried), from the raw events."""
    out = list(state.get("carried", []))
    for ev in state["events"]:
        if ev[0] == "a" and ev[2] == "yes":
            out += [f for f in kb.questions_by_id[ev[1]].on_yes if kb.findings[f].red_flag]
        elif ev[0] == "v" and kb.findings[ev[1]].red_flag:
            out.append(ev[1])
    return out


def unknown_twice(kb: Knowledge, state: dict[str, Any]) -> list[str]:
    """Red flags whose question got "I don't know" twice and that were not affirmed since; in question order."""
    counts: dict[str, int] = {}
    for ev in state["events"]:
        if ev[0] == "u":
            counts[ev[1]] = counts.get(ev[1], 0) + 1
    yes = set(affirmed(kb, state))
    return [f for q in kb.questions if q.phase == "red_flag" and counts.get(q.id, 0) >= 2
            for f in q.on_yes if f not in yes]


def floor_of(kb: Knowledge, flags: Sequence[str]) -> int:
    return max((LEVELS[kb.findings[f].floor or "self_care"] for f in flags), default=0)


def check_path(kb: Knowledge, pairs: Sequence[tuple[dict[str, Any], Ask | Result]]) -> None:
    """Every invariant of one interview, given each state and the step the engine took from it."""
    last_state, last = pairs[-1]
    # terminal: one of the five dispositions, and at least one category
    assert isinstance(last, Result)
    for state, step in pairs:
        if isinstance(step, Result):
            assert step.disposition in LEVELS and step.level == LEVELS[step.disposition]
            assert step.categories, "a result names no category"
            assert {c.id for c in step.categories} <= {c.id for c in kb.categories}
            flags = affirmed(kb, state)
            # emergency acted on in the same step, and only then
            assert (step.disposition == "emergency") == (EMERGENCY_FLAG in flags), (state, step.disposition)
            # once affirmed, every later result is at least the flag's floor
            assert step.level >= floor_of(kb, flags)
            unknown = unknown_twice(kb, state)
            if unknown:
                assert step.level >= LEVELS[kb.policy.unknown_floor]
                assert list(step.watch_list[: len(unknown)]) == unknown
            assert not set(step.watch_list) & set(flags)
        else:
            assert EMERGENCY_FLAG not in affirmed(kb, state), "asked on after an emergency finding"
    # no question twice, except the one plain-words rephrase straight after "I don't know" to a red flag
    asks = [(state, step) for state, step in pairs if isinstance(step, Ask)]
    seen: dict[str, int] = {}
    prev: str | None = None
    for state, a in asks:
        q = a.question
        seen[q.id] = seen.get(q.id, 0) + 1
        u_count = sum(1 for ev in state["events"] if ev[0] == "u" and ev[1] == q.id)
        if seen[q.id] > 1:
            assert seen[q.id] == 2 and prev == q.id and q.phase == "red_flag", f"{q.id} asked twice"
            assert a.rephrase and q.plain and u_count == 1
        else:
            assert not a.rephrase
        prev = q.id
    # red flags first: phases never go backwards
    order = [PHASES.index(a.question.phase) for _, a in asks]
    assert order == sorted(order), [a.question.id for _, a in asks]
    # deterministic, and the state is plain JSON
    assert engine.next_step(roundtrip(last_state), kb) == last


def test_graph_invariants(kb: Knowledge, graph: Graph) -> None:
    for _label, path, _ in graph:
        check_path(kb, path)


def test_graph_covers_the_cautious_branches(graph: Graph) -> None:
    """Guard that the bounded graph exercises what the invariants are about."""
    results = [path[-1][1] for _, path, _ in graph]
    assert any(r.unknown_red_flags for r in results)
    assert any(r.disposition == "emergency" for r in results)
    assert any(len(r.unknown_red_flags) == 4 for r in results)
    assert any(a.rephrase for _, path, _ in graph for _, a in path if isinstance(a, Ask))


def _full_oracle(kb: Knowledge, said: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    base = {q.id: ("P2W",) if q.type == "duration" else ("no",) if q.type == "yes_no" else (q.options[0].id,)
            for q in kb.questions}
    return {**base, **said}


def _monotone(kb: Knowledge, path: list[Any], said: dict[str, tuple[str, ...]], stride: int = 1) -> int:
    """Volunteer each red flag before each step of the path; the rest of the person's replies unchanged."""
    oracle = _full_oracle(kb, said)
    original = path[-1][1].level
    checked = 0
    for state, _ in path[::stride]:
        for flag in kb.red_flags:
            trace = run(kb, oracle, state=engine.volunteer(state, kb, flag.id))
            assert trace.result.level >= max(original, LEVELS[flag.floor or "self_care"]), (state, flag.id)
            if flag.id == EMERGENCY_FLAG:
                assert isinstance(trace.steps[0], Result), "emergency not acted on at once"
            checked += 1
    return checked


def test_monotone_safety_front(kb: Knowledge, graph: Graph) -> None:
    """Every path through the red-flag and severity phases (one characterise tail), every red flag, every point."""
    checked = sum(_monotone(kb, path, said) for label, path, said in graph if label == "front/compression")
    assert checked > 1000


def test_monotone_safety_back(kb: Knowledge, graph: Graph) -> None:
    """A deterministic sample of the characterise-phase paths."""
    back = [g for g in graph if g[0].startswith("back/")]
    checked = sum(_monotone(kb, path, said, stride=3) for _, path, said in back[::40])
    assert checked > 500


def test_volunteered_emergency_at_every_node_is_immediate(kb: Knowledge, graph: Graph) -> None:
    for _, path, _ in graph[::7]:
        for state, _ in path:
            step = engine.next_step(engine.volunteer(state, kb, EMERGENCY_FLAG), kb)
            assert isinstance(step, Result) and step.disposition == "emergency"


# --- random full paths ----------------------------------------------------------------------------------------------

@st.composite
def people(draw: st.DrawFn, kb: Knowledge) -> tuple[dict[str, tuple[str, ...]], dict[int, list[str]]]:
    durations = ("PT2H", "PT20M", "P1D", "P3D", "P2W", "P1M", "P1DT2H")
    oracle = {q.id: draw(st.sampled_from(replies(q, durations)), label=q.id) for q in kb.questions}
    volunteerable = sorted(f.id for f in kb.findings.values() if f.volunteer)
    volunteers: dict[int, list[str]] = {}
    for _ in range(draw(st.integers(0, 3))):
        volunteers.setdefault(draw(st.integers(0, 22)), []).append(draw(st.sampled_from(volunteerable)))
    return oracle, volunteers


def _pairs(trace: Any) -> list[tuple[dict[str, Any], Ask | Result]]:
    return list(zip(trace.states, trace.steps, strict=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_paths_with_volunteers(kb: Knowledge, data: st.DataObject) -> None:
    oracle, volunteers = data.draw(people(kb))
    trace = run(kb, oracle, volunteers)
    check_path(kb, _pairs(trace))
    # deterministic: the same person gives the same interview
    again = run(kb, oracle, volunteers)
    assert again.steps == trace.steps and again.states == trace.states
    # every intermediate state survives JSON and gives the same step
    for state, step in _pairs(trace):
        assert engine.next_step(roundtrip(state), kb) == step
    # monotone safety: without the red flags volunteered, the result is never more urgent
    red = {f.id for f in kb.red_flags}
    plain = {k: [f for f in v if f not in red] for k, v in volunteers.items()}
    if plain != volunteers:
        assert run(kb, oracle, plain).result.level <= trace.result.level
    for state, step in _pairs(trace):
        if isinstance(step, Result):
            assert step.level >= floor_of(kb, affirmed(kb, state))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_adding_a_red_flag_anywhere_never_lowers(kb: Knowledge, data: st.DataObject) -> None:
    oracle, volunteers = data.draw(people(kb))
    flag = data.draw(st.sampled_from([f.id for f in kb.red_flags]))
    at = data.draw(st.integers(0, 22))
    base = run(kb, oracle, volunteers).result
    more = run(kb, oracle, {**volunteers, at: [*volunteers.get(at, []), flag]})
    assert more.result.level >= max(base.level, LEVELS[kb.findings[flag].floor or "self_care"])
    if flag == EMERGENCY_FLAG:
        assert more.result.disposition == "emergency"


@pytest.mark.parametrize("reply", [("u", "u"), ("u", "no"), ("no",), ("yes",), ("u", "yes")])
def test_each_red_flag_reply_on_its_own(kb: Knowledge, reply: tuple[str, ...]) -> None:
    """Each red-flag question with each reply, the others 'no', the rest self-care answers."""
    for q in (q for q in kb.questions if q.phase == "red_flag"):
        oracle = _full_oracle(kb, {"duration": ("PT2H",), "improves_with_movement": ("yes",), q.id: reply})
        trace = run(kb, oracle)
        check_path(kb, _pairs(trace))
        res = trace.result
        if reply[-1] == "yes":
            assert res.disposition == kb.findings[q.on_yes[0]].floor
        elif reply == (UNKNOWN, UNKNOWN):
            assert res.disposition == "prompt" and res.watch_list[0] == q.on_yes[0]
        else:
            assert res.disposition == "self_care"
