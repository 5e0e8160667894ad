"""Triage core benchmark (not a test): knowledge load time and per-step decision time.

    .venv/bin/python benchmarks/triage_bench.py [--quick]

Targets (issue 2): load <= 20 ms, one step <= 50 us on this machine. Prints a table with PASS/FAIL per row and
exits 1 if any row fails.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from triage import engine
from triage.knowledge import COMPILED_NAME, from_dict, knowledge_dir, load_knowledge

LOAD_TARGET_NS = 20_000_000
STEP_TARGET_NS = 50_000

# a fresh interpreter: import the package (reported separately), then time the first load_knowledge() call
COLD = (
    "import time; t0 = time.perf_counter_ns(); "
    "from triage.knowledge import load_knowledge; t1 = time.perf_counter_ns(); "
    "load_knowledge(); t2 = time.perf_counter_ns(); "
    "print(t1 - t0, t2 - t1)"
)


def timed(fn: Callable[[], Any], n: int) -> list[int]:
    out = []
    clock = time.perf_counter_ns
    for _ in range(n):
        t = clock()
        fn()
        out.append(clock() - t)
    return out


def p99(xs: list[int]) -> float:
    ordered = sorted(xs)
    return float(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))])


def cold_load(n: int) -> tuple[list[int], list[int]]:
    """(import times, first-load times) in fresh interpreters."""
    runs = [subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True).stdout
            for _ in range(n)]
    pairs = [tuple(int(x) for x in r.split()) for r in runs]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def states(kb: Any) -> list[tuple[str, dict[str, Any]]]:
    """States of increasing length along one long interview (every question asked)."""
    replies = {"duration": "P2W", "spread_area": "legs_feet", "improves_with_movement": "no"}
    out = []
    state = engine.new_state(kb)
    while True:
        out.append((f"next_step, {len(state['events'])} events", state))
        step = engine.next_step(state, kb)
        if isinstance(step, engine.Result):
            return out
        state = engine.answer(state, kb, replies.get(step.question.id, "no"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    n_cold, n = (5, 2_000) if args.quick else (21, 20_000)

    kb = load_knowledge()
    data = json.loads((knowledge_dir() / COMPILED_NAME).read_text(encoding="utf-8"))
    rows: list[tuple[str, list[int], int]] = []
    imports, loads = cold_load(n_cold)
    rows.append(("load, cold (fresh python -c: load_knowledge())", loads, LOAD_TARGET_NS))
    rows.append(("  (info) import triage.knowledge, cold", imports, 0))
    text = (knowledge_dir() / COMPILED_NAME).read_text(encoding="utf-8")
    rows.append(("load, in-process (json.loads + from_dict)", timed(lambda: from_dict(json.loads(text)), n // 10),
                 LOAD_TARGET_NS))
    rows.append(("from_dict only", timed(lambda: from_dict(data), n // 10), LOAD_TARGET_NS))
    path = states(kb)
    for label, state in path[::3] if (len(path) - 1) % 3 == 0 else [*path[::3], path[-1]]:
        rows.append((label, timed(lambda s=state: engine.next_step(s, kb), n), STEP_TARGET_NS))  # type: ignore[misc]
    mid = path[8][1]
    rows.append(("answer + next_step (mid-interview)",
                 timed(lambda: engine.next_step(engine.answer(mid, kb, "no" if engine.current_question(mid, kb)
                                                              .type != "duration" else "P2W"), kb), n),
                 STEP_TARGET_NS))

    print(f"python {sys.version.split()[0]}, knowledge {kb.version}, cpus {os.cpu_count()}")
    print(f"{'measure':<48} {'n':>6} {'median':>11} {'p99':>11} {'target':>9}  verdict")
    failed = False
    for label, xs, target in rows:
        med = statistics.median(xs)
        ok = target == 0 or med <= target
        failed |= not ok

        def fmt(ns: float, target: int = target) -> str:
            return f"{ns / 1e3:.1f} us" if 0 < target < 1_000_000 else f"{ns / 1e6:.2f} ms"

        verdict = "info" if target == 0 else "PASS" if ok else "FAIL"
        shown = fmt(target) if target else "-"
        print(f"{label:<48} {len(xs):>6} {fmt(med):>11} {fmt(p99(xs)):>11} {shown:>9}  {verdict}")
    print("verdict on the median; p99 shown for scheduling noise on shared cores")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
