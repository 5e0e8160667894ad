"""Shared by the safety tests: the evaluation script (benchmarks/safety_eval.py) as a module, and its outcomes."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="session")
def safety_eval() -> ModuleType:
    from benchmarks import safety_eval

    return safety_eval


@pytest.fixture(scope="session")
def outcomes(safety_eval: ModuleType) -> list[Any]:
    """Every vignette and patient story, run once per test session."""
    return list(safety_eval.evaluate(safety_eval.load_all()))
