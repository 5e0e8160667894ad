"""Shared by the safety tests: the evaluation script (benchmarks/safety_eval.py) as a module, and a scripted
conversation runner over the simulator (tools/simulator.py) that keeps every request and response envelope."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tools.nlu import DEFAULT_SKILL_ID, LocalNlu
from tools.simulator import Device, Simulator, in_process_transport, run_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def safety_eval() -> ModuleType:
    from benchmarks import safety_eval

    return safety_eval


@pytest.fixture(scope="session")
def outcomes(safety_eval: ModuleType) -> list[Any]:
    """Every vignette and patient story, run once per test session."""
    return list(safety_eval.evaluate(safety_eval.load_all()))


@dataclass
class Scripted:
    transcript: str = ""
    exchanges: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (request, reply)


RunScript = Callable[..., Scripted]


@pytest.fixture
def run_scripted() -> RunScript:
    """run_scripted(lines, locale=..., persistence=..., user_id=..., transport=...) -> Scripted: the simulator's
    script mode, in-process, through the same build_skill the Lambda uses (or through ``transport(event)``)."""

    def run(lines: list[str], locale: str = "en-US", persistence: Any = None,
            user_id: str = "amzn1.ask.account.PRIVACY-TEST-USER-0001", transport: Any = None) -> Scripted:
        result = Scripted()
        transport = transport or in_process_transport(persistence, DEFAULT_SKILL_ID)

        def recording(event: dict[str, Any]) -> dict[str, Any]:
            reply: dict[str, Any] = transport(event)
            result.exchanges.append((event, reply))
            return reply

        device = Device(locale=locale, user_id=user_id, device_id="amzn1.ask.device.PRIVACY-TEST-DEVICE-0001")
        sim = Simulator(LocalNlu.for_locale(locale, skill_id=DEFAULT_SKILL_ID), recording, device)
        out = io.StringIO()
        run_script(sim, lines, out)
        result.transcript = out.getvalue()
        return result

    return run
