"""Smoke test: ``benchmarks/run.py --quick`` runs end to end and prints every row. No timing is asserted:
the numbers depend on the machine; the benchmark prints PASS/FAIL against its targets itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.run import ROWS
from tests.checkout import child_env

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"
ENV = child_env()  # this checkout's code in the benchmark and its children, whichever venv runs the tests


def test_quick_run_prints_every_row() -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "| Metric | Ours | Baseline (hello world) | Ratio | Target | Result |" in out
    rows = tuple(ROWS)
    assert len(rows) == 15
    for name in rows:
        assert f"| {name} |" in out, f"row missing: {name}"
    for scenario in sorted(p.stem for p in (ROOT / "benchmarks" / "scenarios").glob("*.txt")):
        assert f"| {scenario} |" in out, f"scenario missing: {scenario}"
    assert "Python " in out and "cores" in out
