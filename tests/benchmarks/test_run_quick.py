"""Smoke test: ``benchmarks/run.py --quick`` runs end to end and prints every row. No timing is asserted:
the numbers depend on the machine; the benchmark prints PASS/FAIL against its targets itself."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"


def _rows() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("benchmarks_run", RUN)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return tuple(module.ROWS)


def test_quick_run_prints_every_row() -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "| Metric | Ours | Baseline (hello world) | Ratio | Target | Result |" in out
    rows = _rows()
    assert len(rows) == 15
    for name in rows:
        assert f"| {name} |" in out, f"row missing: {name}"
    for scenario in sorted(p.stem for p in (ROOT / "benchmarks" / "scenarios").glob("*.txt")):
        assert f"| {scenario} |" in out, f"scenario missing: {scenario}"
    assert "Python " in out and "cores" in out
