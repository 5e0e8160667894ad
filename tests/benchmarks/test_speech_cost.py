"""Natural-speech variants of the benchmark scenarios reach the same advice in at most 1.3x the ideal turns
(benchmarks/speech_cost.py; a count of turns, not a timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_natural_speech_reaches_the_advice_within_1_3_times_the_ideal_turns(capsys):
    spec = importlib.util.spec_from_file_location("speech_cost", ROOT / "benchmarks" / "speech_cost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["speech_cost"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    assert len(list((ROOT / "benchmarks" / "scenarios_natural").glob("*.txt"))) >= 10
    code = module.main()
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("| PASS |") >= 10, out
