"""Multi-turn conversations written as data (conversations/*.yaml), run through the real skill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).parent / "conversations"
SCRIPTS = sorted(HERE.glob("*.yaml"))


def _load(path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8")))


CASES = [pytest.param(case, id=f"{path.stem}:{case['name']}") for path in SCRIPTS for case in _load(path)]


def _send(conv: Any, step: dict[str, Any]) -> Any:
    say = step["say"]
    if say == "launch":
        return conv.launch()
    if say == "SessionEndedRequest":
        return conv.session_ended(step.get("reason", "USER_INITIATED"), step.get("error"))
    if say == "new_session":
        conv.end_session()
        return None
    if say == "request":
        return conv.send(step["request"])
    return conv.intent(say, step.get("slots"))


def _check(turn: Any, expect: dict[str, Any], where: str) -> None:
    speech, reprompt, card = turn.speech.lower(), turn.reprompt.lower(), turn.card.lower()
    for fragment in expect.get("speech", []):
        assert fragment.lower() in speech, f"{where}: {fragment!r} not in speech {turn.speech!r}"
    for fragment in expect.get("speech_not", []):
        assert fragment.lower() not in speech, f"{where}: {fragment!r} unexpectedly in {turn.speech!r}"
    if "speech_starts" in expect:
        assert speech.startswith(expect["speech_starts"].lower()), f"{where}: speech starts {turn.speech!r}"
    for fragment in expect.get("reprompt", []):
        assert fragment.lower() in reprompt, f"{where}: {fragment!r} not in reprompt {turn.reprompt!r}"
    for fragment in expect.get("card", []):
        assert fragment.lower() in card, f"{where}: {fragment!r} not in card {turn.card!r}"
    if expect.get("no_card"):
        assert not card, f"{where}: unexpected card"
    if expect.get("silent"):
        assert not speech, f"{where}: expected no speech, got {turn.speech!r}"
    elif "end" in expect or expect:
        assert speech, f"{where}: no speech"
    if "end" in expect:
        assert turn.ended is expect["end"], f"{where}: shouldEndSession {turn.ended}"


def test_scripts_exist():
    assert len(SCRIPTS) >= 3 and len(CASES) >= 15


@pytest.mark.parametrize("case", CASES)
def test_conversation(case, conversation):
    conv = conversation(case.get("locale", "en-US"))
    for i, step in enumerate(case["steps"]):
        turn = _send(conv, step)
        if turn is not None:
            _check(turn, step.get("expect", {}), f"{case['name']} step {i + 1} ({step['say']})")
