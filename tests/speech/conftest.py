"""The natural-speech corpus is evaluated once per test session; its table is printed in the terminal summary."""

from __future__ import annotations

from typing import Any

import pytest

from tools.speech_eval import Report, evaluate

_report: dict[str, Report] = {}


@pytest.fixture(scope="session")
def speech_report() -> Report:
    if "report" not in _report:
        _report["report"] = evaluate()
    return _report["report"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    report = _report.get("report")
    if report is not None:
        terminalreporter.write_sep("=", "natural-speech understanding (python -m tools.speech_eval)")
        terminalreporter.write_line(report.table())
