"""The Lambda entry point, as Lambda loads it with TABLE_NAME set: records get their TTL, the speech rate
survives into the next session, "delete my data" really deletes, and every adapter goes through the wrapper."""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Any

from skill import build_skill
from skill.persistence import ResilientPersistence
from tests.persistence.helpers import TABLE
from tools import alexa_requests as requests

ROOT = Path(__file__).resolve().parents[2]


def _event(name: str, new: bool, attributes: dict[str, Any], slots: dict[str, Any] | None = None) -> dict[str, Any]:
    """From the one request builder (tools.alexa_requests); ``slots``: name -> Alexa slot object."""
    request = requests.launch() if name == "LaunchRequest" else requests.intent(name, slots, dialog_state="STARTED")
    return requests.envelope(request, requests.Caller(), requests.Session("amzn1.echo-api.session.w", new, attributes))


def _fresh_lambda_module() -> Any:
    sys.modules.pop("lambda_function", None)
    return importlib.import_module("lambda_function")


def _items(dynamodb: Any) -> list[dict[str, Any]]:
    return list(dynamodb.Table(TABLE).scan()["Items"])


def test_lambda_function_stamps_ttl_and_remembers_the_speech_rate(dynamodb: Any) -> None:
    lf = _fresh_lambda_module()
    try:
        out = lf.lambda_handler(_event("LaunchRequest", True, {}), None)
        slots = {"rate": requests.slot("rate", "slower", "slower")}
        lf.lambda_handler(_event("SpeechRateIntent", False, out["sessionAttributes"], slots), None)
        items = _items(dynamodb)
        assert len(items) == 1
        assert int(items[0]["ttl"]) > time.time() + 29 * 86400
        assert items[0]["v.rate"] == "slower"
        again = lf.lambda_handler(_event("LaunchRequest", True, {}), None)
        assert again["response"]["outputSpeech"]["ssml"].startswith('<speak><prosody rate="85%">')
        deleted = lf.lambda_handler(_event("DeleteDataIntent", False, again["sessionAttributes"]), None)
        gone = lf.lambda_handler(_event("AMAZON.YesIntent", False, deleted["sessionAttributes"]), None)
        assert "deleted" in gone["response"]["outputSpeech"]["ssml"]
        assert _items(dynamodb) == []
    finally:
        sys.modules.pop("lambda_function", None)


def test_build_skill_always_wraps_the_adapter() -> None:
    class Raw:
        def get_attributes(self, request_envelope: Any) -> Any:
            raise RuntimeError("down")

        def save_attributes(self, request_envelope: Any, attributes: Any) -> None:
            raise RuntimeError("down")

    skill = build_skill(persistence_adapter=Raw())  # type: ignore[arg-type]
    assert isinstance(skill.persistence_adapter, ResilientPersistence)
