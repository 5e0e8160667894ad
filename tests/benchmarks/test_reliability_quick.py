"""Smoke test: the reliability harness (load, faults, hostile inputs) runs end to end in its quick mode and
prints its figures. The scripts judge their own targets (exit status); no timing is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.checkout import child_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("script", "expected"), [
    ("reliability_load.py", ["waitress (8 threads) + SQLite", "lambda_handler + DynamoDB (moto server)",
                             "| wrong answers | 0 |", "| lost records | 0 |"]),
    ("reliability_faults.py", ["behind the fault proxy",
                               "| target (0 wrong / 0 lost / 0 dropped / worst < 7 s) | PASS |"]),
    ("hostile_inputs.py", ["verification off", "verification on", "lambda_handler (JSON bodies)"]),
])
def test_quick_run(script: str, expected: list[str]) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--quick"], cwd=ROOT, env=child_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    for text in expected:
        assert text in proc.stdout, proc.stdout
