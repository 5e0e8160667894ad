"""Natural-speech variants of the benchmark scenarios reach the same advice in at most 1.3x the ideal turns
(benchmarks/speech_cost.py; a count of turns, not a timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _speech_cost():
    spec = importlib.util.spec_from_file_location("speech_cost", ROOT / "benchmarks" / "speech_cost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["speech_cost"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_natural_speech_reaches_the_advice_within_1_3_times_the_ideal_turns(capsys):
    module = _speech_cost()
    assert len(list((ROOT / "benchmarks" / "scenarios_natural").glob("*.txt"))) >= 10
    code = module.main()
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("| PASS |") >= 10, out


def test_a_variant_out_of_step_with_the_questions_is_caught(tmp_path):
    """After the questions change, a variant whose lines no longer fit must not pass: lines left over after the
    session ended (they would open a new session), or an answer that was lost (other findings at the advice)."""
    module = _speech_cost()
    ideal = (ROOT / "benchmarks" / "scenarios" / "self_care.txt").read_text(encoding="utf-8")
    base = module.run(ROOT / "benchmarks" / "scenarios" / "self_care.txt")
    assert base.after_end == 0 and "trigger_sleep_position" in base.findings
    left_over = tmp_path / "self_care.left_over.txt"
    left_over.write_text(ideal + "no\nyes\nyes\n", encoding="utf-8")
    assert module.run(left_over).after_end == 3
    lost = tmp_path / "self_care.lost.txt"
    lost.write_text(ideal.replace("sleeping funny\n", "none of these\n"), encoding="utf-8")
    got = module.run(lost)
    assert got.disposition == base.disposition and got.findings != base.findings
