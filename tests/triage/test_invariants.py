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
from triage.knowledge import Knowledge, condition_refs

Graph = list[tuple[str, list[Any], dict[str, tuple[str, ...]]]]
PHASES = ["red_flag", "severity", "characterise"]
EMERGENCY_FLAG = "loss_bladder_bowel"
# "I don't know" twice to a red flag: the least advice, by the flag's own level (rules.yaml, restated here)
UNKNOWN_FLOOR = {"emergency": "immediate", "immediate": "prompt"}


def _flag_events(kb: Knowledge, state: dict[str, Any]) -> tuple[dict[str, bool], set[str]]:
    """From the raw events: red flags heard -> settled (its "is it new?" answered yes / unknown twice, or carried),
    without those later said to be long-standing or explicitly withdrawn; and the long-standing ones."""
    heard: dict[str, bool] = dict.fromkeys(state.get("carried", []), True)
    baseline: set[str] = set()
    unknown: dict[str, int] = {}
    for ev in state["events"]:
        if ev[0] == "a":
            q = kb.questions_by_id[ev[1]]
            if q.follows:
                if ev[2] == "no":
                    heard.pop(q.follows, None)
                    baseline.add(q.follows)
                elif q.follows in heard:
                    heard[q.follows] = True
            elif ev[2] == "yes":
                for f in q.on_yes:
                    if kb.findings[f].red_flag:
                        heard.setdefault(f, False)
        elif ev[0] == "u":
            unknown[ev[1]] = unknown.get(ev[1], 0) + 1
            q = kb.questions_by_id[ev[1]]
            if q.follows and unknown[ev[1]] >= 2 and q.follows in heard:
                heard[q.follows] = True
        elif ev[0] == "v" and kb.findings[ev[1]].red_flag:
            heard.setdefault(ev[1], False)
            baseline.discard(ev[1])
        elif ev[0] == "w":
            heard.pop(ev[1], None)
    return heard, baseline


def affirmed(kb: Knowledge, state: dict[str, Any]) -> list[str]:
    """Red flags present: said yes to (answer, rephrased answer, volunteer, carried), not said to be long-standing
    and not explicitly withdrawn -- pending their "is it new?" check or settled."""
    return list(_flag_events(kb, state)[0])


def settled(kb: Knowledge, state: dict[str, Any]) -> list[str]:
    return [f for f, ok in _flag_events(kb, state)[0].items() if ok]


def unknown_twice(kb: Knowledge, state: dict[str, Any]) -> list[str]:
    """Red flags whose question got "I don't know" twice and that were not heard or settled since; the most
    serious first, then in question order."""
    counts: dict[str, int] = {}
    for ev in state["events"]:
        if ev[0] == "u":
            counts[ev[1]] = counts.get(ev[1], 0) + 1
    heard, baseline = _flag_events(kb, state)
    replied = {ev[1] for ev in state["events"] if ev[0] == "a"} | {q for q, n in counts.items() if n >= 2}

    def settled(f: str) -> bool:
        """A grouped sign ("bladder, peeing or numb between the legs?") not known is settled once each sign it
        covers has been answered on its own (one still unknown is listed itself)."""
        covers = kb.findings[f].covers
        return bool(covers) and all(c in heard or c in baseline or kb.yes_no_for[c].id in replied for c in covers)

    out = [f for q in kb.questions if q.phase == "red_flag" and not q.follows and counts.get(q.id, 0) >= 2
           for f in q.on_yes if f not in heard and f not in baseline and not settled(f)]
    return sorted(out, key=lambda f: -LEVELS[UNKNOWN_FLOOR[kb.findings[f].floor or "immediate"]])


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
            emergency = [f for f in flags if kb.findings[f].floor == "emergency"]
            # emergency acted on in the same step as its "is it new?" check settles it, and only then
            assert (step.disposition == "emergency") == bool(emergency), (state, step.disposition)
            # once affirmed, every later result is at least the flag's floor (unless said to be long-standing or
            # explicitly withdrawn: affirmed() leaves those out)
            assert step.level >= floor_of(kb, flags)
            unknown = unknown_twice(kb, state)
            if unknown:
                assert step.level >= LEVELS[UNKNOWN_FLOOR[kb.findings[unknown[0]].floor or "immediate"]]
                assert list(step.watch_list[: len(unknown)]) == unknown
            assert not set(step.watch_list) & set(flags)
            # a red flag that gathers others (one question for several signs) is listed only while unknown; the
            # signs it gathers keep their own lines unless said
            present = engine.findings(state, kb)
            for f in kb.red_flags:
                if f.covers:
                    assert (f.id in step.watch_list) == (f.id in step.unknown_red_flags), (state, f.id)
                    for c in f.covers:
                        assert (c in step.watch_list) == (c not in present), (state, c)
        else:
            pending = [f for f in affirmed(kb, state) if f not in settled(kb, state) and f in kb.new_check]
            if pending:  # a red flag heard: its "is it new?" check comes before anything else
                worst = max(LEVELS[kb.findings[f].floor or "self_care"] for f in pending)
                assert step.question.follows in pending, (state, step.question.id)
                assert LEVELS[kb.findings[step.question.follows].floor or "self_care"] == worst
            else:
                assert not [f for f in affirmed(kb, state) if kb.findings[f].floor == "emergency"], \
                    "asked on after an emergency finding"
    # no question twice, except the one plain-words rephrase straight after "I don't know" to a red flag
    asks = [(state, step) for state, step in pairs if isinstance(step, Ask)]
    seen: dict[str, int] = {}
    prev: str | None = None
    for state, a in asks:
        q = a.question
        seen[q.id] = seen.get(q.id, 0) + 1
        u_count = sum(1 for ev in state["events"] if ev[0] == "u" and ev[1] == q.id)
        if seen[q.id] > 1:
            # (an "is it new?" check for a sign said meanwhile may come between)
            assert seen[q.id] == 2 and q.phase == "red_flag", f"{q.id} asked twice"
            assert prev == q.id or kb.questions_by_id[prev or q.id].follows, f"{q.id} asked twice"
            assert a.rephrase and q.plain and u_count == 1
        else:
            assert not a.rephrase
        prev = q.id
    # red flags first: phases never go backwards (an "is it new?" check follows its red flag wherever it is heard)
    order = [PHASES.index(a.question.phase) for _, a in asks if not a.question.follows]
    assert order == sorted(order), [a.question.id for _, a in asks]
    # deterministic, and the state is plain JSON
    assert engine.next_step(roundtrip(last_state), kb) == last


def test_graph_invariants(kb: Knowledge, graph: Graph) -> None:
    for _label, path, _ in graph:
        check_path(kb, path)


def test_graph_covers_the_cautious_branches(kb: Knowledge, graph: Graph) -> None:
    """Guard that the bounded graph exercises what the invariants are about."""
    results = [path[-1][1] for _, path, _ in graph]
    # every reply to every red flag, every "is it new?" check (but those of the two signs only ever said, with
    # their own tests) and every severity question
    given: dict[str, set[str]] = {}
    for _, _, said in graph:
        for qid, actions in said.items():
            given.setdefault(qid, set()).update(actions)
    said_only = {kb.new_check[f].id for f in ("both_legs", "sexual_dysfunction")}
    for q in kb.questions:
        if q.phase in ("red_flag", "severity") and q.id not in said_only:
            assert given.get(q.id, set()) >= {"yes", "no", UNKNOWN}, q.id
    assert any(r.disposition == "emergency" and "cauda_equina_sign" in r.urgent_reasons for r in results)
    assert any("cauda_equina_sign" in r.baseline for r in results)  # "no" to "is any of that new?"
    assert any("cauda_equina_sign" in r.unknown_red_flags for r in results)
    assert any(a.question.id == "cauda_equina" and a.wording is not None  # "apart from what you've told me"
               for _, path, _ in graph for _, a in path if isinstance(a, Ask))
    assert any(r.unknown_red_flags for r in results)
    assert any(r.disposition == "emergency" for r in results)
    assert max(len(r.unknown_red_flags) for r in results) >= 3
    assert any(r.baseline for r in results)  # "not new" to an "is it new?" check
    assert any(r.disposition == "immediate" and r.unknown_red_flags and not r.urgent_reasons for r in results)
    assert any(a.rephrase for _, path, _ in graph for _, a in path if isinstance(a, Ask))


def _full_oracle(kb: Knowledge, said: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Everything not said: "no" (a choice: its first option; "is it new?": yes)."""
    base = {q.id: ("P2W",) if q.type == "duration" else ("yes",) if q.follows else ("no",) if q.type == "yes_no"
            else (q.options[0].id,) for q in kb.questions}
    return {**base, **said}


def _new(kb: Knowledge, oracle: dict[str, tuple[str, ...]], flags: list[str]) -> dict[str, tuple[str, ...]]:
    """The same person, saying each of these red flags is new (the monotone-safety claim is about new flags)."""
    return {**oracle, **{kb.new_check[f].id: ("yes",) for f in flags if f in kb.new_check}}


def sayable(kb: Knowledge) -> list[Any]:
    """The red flags a person can say on their own: all but one that only gathers others in one question
    (cauda_equina_sign: its three signs are each sayable)."""
    flags = [f for f in kb.red_flags if f.volunteer]
    assert {f.id for f in kb.red_flags} - {f.id for f in flags} == {f.id for f in kb.red_flags if f.covers}
    assert all(set(f.covers) <= {g.id for g in flags} for f in kb.red_flags)
    return flags


def _monotone(kb: Knowledge, path: list[Any], said: dict[str, tuple[str, ...]], stride: int = 1) -> int:
    """Volunteer each red flag before each step of the path; the rest of the person's replies unchanged."""
    oracle = _full_oracle(kb, said)
    original = path[-1][1].level
    checked = 0
    for state, _ in path[::stride]:
        for flag in sayable(kb):
            trace = run(kb, oracle, state=engine.volunteer(state, kb, flag.id))
            if flag.id in trace.result.baseline:  # "not new" to its own check: the person's answer (their baseline)
                assert trace.result.level >= original, (state, flag.id)
                checked += 1
                continue
            assert trace.result.level >= max(original, LEVELS[flag.floor or "self_care"]), (state, flag.id)
            if flag.floor == "emergency" and flag.id not in affirmed(kb, state):
                # only "is it new?" checks (its own, or one already pending), then ("yes") the emergency at once
                assert all(a.question.follows for a in trace.asked), [a.question.id for a in trace.asked]
                assert trace.result.disposition == "emergency"
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
    """Said at any point: its "is it new?" check at once (unless heard before or the result was given), and "yes"
    (or "I don't know" twice) gives the emergency instruction in that same step."""
    for _, path, _ in graph[::7]:
        for state, _ in path:
            said = engine.volunteer(state, kb, EMERGENCY_FLAG)
            if said == state and EMERGENCY_FLAG in _flag_events(kb, state)[1]:
                continue  # said before and then "not new": the person's baseline, already known
            step = engine.next_step(said, kb)
            if isinstance(step, Ask):
                assert step.question.follows and kb.findings[step.question.follows].floor == "emergency"
                for reply in ("yes", "u"):
                    s = said
                    while isinstance(open_ := engine.next_step(s, kb), Ask) and open_.question.follows:
                        s = engine.dont_know(s, kb) if reply == "u" else engine.answer(s, kb, reply)
                    done = engine.next_step(s, kb)
                    assert isinstance(done, Result) and done.disposition == "emergency"
            else:
                assert step.disposition == "emergency" or EMERGENCY_FLAG not in engine.findings(said, kb)


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
    oracle = _new(kb, oracle, [f for v in volunteers.values() for f in v])
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
    flag = data.draw(st.sampled_from([f.id for f in sayable(kb)]))
    at = data.draw(st.integers(0, 22))
    oracle = _new(kb, oracle, [flag, *(f for v in volunteers.values() for f in v)])
    base = run(kb, oracle, volunteers).result
    more = run(kb, oracle, {**volunteers, at: [*volunteers.get(at, []), flag]})
    if flag in more.result.baseline:  # said before, and then "not new" to its check: the person's own answer
        return
    assert more.result.level >= max(base.level, LEVELS[kb.findings[flag].floor or "self_care"])
    if kb.findings[flag].floor == "emergency" and not more.result.baseline:
        assert more.result.disposition == "emergency"


@pytest.mark.parametrize("reply", [("u", "u"), ("u", "no"), ("no",), ("yes",), ("u", "yes")])
def test_each_red_flag_reply_on_its_own(kb: Knowledge, reply: tuple[str, ...]) -> None:
    """Each red-flag question with each reply, the others 'no', the rest self-care answers. A sign asked on its own
    only after "I don't know" to its grouped question (ask_if on the group's on_unknown finding) is reached that way;
    "I don't know" to a grouped question, with each of its signs then 'no', is no warning sign."""
    opener = {f: g for g in kb.questions for f in g.on_unknown}
    for q in (q for q in kb.questions if q.phase == "red_flag" and not q.follows):
        said = {"duration": ("PT2H",), "improves_with_movement": ("yes",), q.id: reply}
        said.update({opener[f].id: (UNKNOWN, UNKNOWN) for f in condition_refs(q.ask_if) if f in opener})
        trace = run(kb, _full_oracle(kb, said))
        check_path(kb, _pairs(trace))
        res = trace.result
        flag = kb.findings[q.on_yes[0]]
        if reply[-1] == "yes":
            assert res.disposition == flag.floor, q.id
        elif reply == (UNKNOWN, UNKNOWN) and not q.on_unknown:
            assert res.disposition == UNKNOWN_FLOOR[flag.floor or ""] and res.watch_list[0] == flag.id, q.id
        else:
            assert res.disposition == "self_care", q.id


@pytest.mark.parametrize("reply", [("no",), ("u", "no")])
def test_a_red_flag_said_to_be_long_standing_is_baseline(kb: Knowledge, reply: tuple[str, ...]) -> None:
    """Yes, then "not new" to its check: the person's baseline, not a red flag; nothing else changes."""
    for flag, check in kb.new_check.items():
        asker = [q for q in kb.questions if flag in q.on_yes and not q.ask_if]  # asked without a gate, else said
        said = {"duration": ("PT2H",), "improves_with_movement": ("yes",), check.id: reply}
        if asker:
            said[asker[0].id] = ("yes",)
        trace = run(kb, _full_oracle(kb, said), volunteers=None if asker else {0: [flag]})
        check_path(kb, _pairs(trace))
        assert trace.result.disposition == "self_care", flag
        assert trace.result.baseline == (flag,) and flag not in engine.findings(trace.states[-1], kb)
