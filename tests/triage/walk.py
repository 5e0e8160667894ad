"""Helpers that drive the engine only through its public API (answer, dont_know, volunteer, next_step).

A *reply* is what a person says to one question: a tuple of actions, ``("yes",)``, ``("u", "no")`` ("I don't
know", then "no" to the plain-words rephrase), ``("u", "u")``.  An *oracle* maps question id -> reply, so the same
person can be replayed along different paths (e.g. with and without a volunteered red flag).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from triage import engine
from triage.engine import Ask, Result
from triage.knowledge import Knowledge, Question

UNKNOWN = "u"
DURATIONS = ("PT2H", "P2W")  # one short-lived, one persistent
LEVELS = {"self_care": 0, "routine": 1, "prompt": 2, "immediate": 3, "emergency": 4}  # restated, not imported


def values(q: Question, durations: tuple[str, ...] = DURATIONS) -> list[str]:
    """Every concrete answer to q (not "I don't know")."""
    if q.type == "yes_no":
        return ["yes", "no"]
    if q.type == "choice":
        return [o.id for o in q.options]
    return list(durations)


def replies(q: Question, durations: tuple[str, ...] = DURATIONS) -> list[tuple[str, ...]]:
    """Every reply to q, counting the plain-words rephrase after "I don't know" to a red flag."""
    vals = values(q, durations)
    if q.phase == "red_flag":
        return [(v,) for v in vals] + [(UNKNOWN, v) for v in vals] + [(UNKNOWN, UNKNOWN)]
    return [(v,) for v in vals] + [(UNKNOWN,)]


def act(state: Mapping[str, Any], kb: Knowledge, action: str) -> dict[str, Any]:
    if action == UNKNOWN:
        return engine.dont_know(state, kb)
    return engine.answer(state, kb, action)


@dataclass
class Trace:
    """One interview: every (state, step) pair in order, and what was said at each."""

    states: list[dict[str, Any]] = field(default_factory=list)
    steps: list[Ask | Result] = field(default_factory=list)
    said: list[tuple[str, str]] = field(default_factory=list)  # ("ask", qid) | ("v", finding) | (action, qid)

    @property
    def result(self) -> Result:
        last = self.steps[-1]
        assert isinstance(last, Result), last
        return last

    @property
    def asked(self) -> list[Ask]:
        return [s for s in self.steps if isinstance(s, Ask)]


def run(
    kb: Knowledge,
    oracle: Mapping[str, tuple[str, ...]],
    volunteers: Mapping[int, list[str]] | None = None,
    state: dict[str, Any] | None = None,
    max_steps: int = 60,
) -> Trace:
    """Play an interview: at step i (0-based, counting questions put), first volunteer ``volunteers[i]``, then
    reply to the open question from the oracle. Volunteers at positions past the end are said after the result.
    Replies in the oracle are consumed action by action (a rephrase takes the next action)."""
    volunteers = volunteers or {}
    state = state if state is not None else engine.new_state(kb)
    progress: dict[str, int] = {}  # replies already given, counting those in a starting state
    for ev in state["events"]:
        if ev[0] in ("a", UNKNOWN):
            progress[ev[1]] = progress.get(ev[1], 0) + 1
    trace = Trace()
    i = 0
    while True:
        for fid in volunteers.get(i, ()):
            state = engine.volunteer(state, kb, fid)
            trace.said.append(("v", fid))
        step = engine.next_step(state, kb)
        trace.states.append(state)
        trace.steps.append(step)
        if isinstance(step, Result):
            break
        qid = step.question.id
        reply = oracle[qid]
        k = progress.get(qid, 0)
        action = reply[min(k, len(reply) - 1)]
        progress[qid] = k + 1
        state = act(state, kb, action)
        trace.said.append((action, qid))
        i += 1
        assert i <= max_steps, "interview does not end"
    for pos in sorted(p for p in volunteers if p > i):
        for fid in volunteers[pos]:
            state = engine.volunteer(state, kb, fid)
            trace.said.append(("v", fid))
            trace.states.append(state)
            trace.steps.append(engine.next_step(state, kb))
    return trace


def walk(
    kb: Knowledge,
    state: dict[str, Any] | None = None,
    branch: frozenset[str] = frozenset({"red_flag", "severity", "characterise"}),
    tail: Mapping[str, tuple[str, ...]] | None = None,
    durations: tuple[str, ...] = DURATIONS,
) -> Iterator[tuple[list[tuple[dict[str, Any], Ask | Result]], dict[str, tuple[str, ...]]]]:
    """Depth-first over the answer graph. Questions of a phase (or with an id) in ``branch`` take every reply, one
    at a time (so the "I don't know" -> rephrase is a separate node), unless ``tail`` names them; others take
    ``tail``'s reply (default "I don't know").
    Yields (path of (state, step) pairs ending in a Result, oracle of the replies given)."""
    start = state if state is not None else engine.new_state(kb)
    tail = tail or {}
    stack: list[tuple[dict[str, Any], list[tuple[dict[str, Any], Ask | Result]], dict[str, tuple[str, ...]]]] = [
        (start, [], {})
    ]
    while stack:
        s, path, said = stack.pop()
        step = engine.next_step(s, kb)
        path = [*path, (s, step)]
        if isinstance(step, Result):
            yield path, said
            continue
        q = step.question
        if (q.phase in branch or q.id in branch) and q.id not in tail:
            actions = [*values(q, durations), UNKNOWN]
        else:
            reply = tail.get(q.id, (UNKNOWN,))
            actions = [reply[1 if step.rephrase and len(reply) > 1 else 0]]
        for a in reversed(actions):
            stack.append((act(s, kb, a), path, {**said, q.id: (*said.get(q.id, ()), a)}))


def roundtrip(state: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(state))
    return out
