"""Defects the conversation fuzzer found, pinned as minimal reproductions through the real lambda_handler.

They were pinned as strict xfails when found and are fixed now: these are their regression tests.
"""

from __future__ import annotations

import json
from typing import Any

import lambda_function
from skill.speech import ssml_to_text
from tools import alexa_requests as requests
from triage import engine
from triage.knowledge import load_knowledge


def _event(request: dict[str, Any], attributes: dict[str, Any], new: bool) -> dict[str, Any]:
    """The one request builder (tools.alexa_requests), at a fixed time."""
    body = {"requestId": "amzn1.echo-api.request.defect", "timestamp": "2026-11-24T12:00:00Z", "locale": "en-US",
            **request}
    caller = requests.Caller(user_id="amzn1.ask.account.DEFECTUSER", device_id="amzn1.ask.device.D")
    return requests.envelope(body, caller, requests.Session("amzn1.echo-api.session.defect", new, attributes))


def _turn(request: dict[str, Any], attributes: dict[str, Any], new: bool = False) -> tuple[str, dict[str, Any]]:
    raw = lambda_function.lambda_handler(json.loads(json.dumps(_event(request, attributes, new))), None)
    speech = ssml_to_text(raw["response"].get("outputSpeech", {}).get("ssml", ""))
    return speech, raw.get("sessionAttributes") or {}


YES = {"type": "IntentRequest", "intent": {"name": "AMAZON.YesIntent", "confirmationStatus": "NONE", "slots": {}}}


def test_start_over_in_the_same_session_keeps_the_emergency():
    """The reference behaviour the defect below departs from (passes today)."""
    _, attrs = _turn({"type": "LaunchRequest"}, {}, new=True)
    speech, attrs = _turn(YES, attrs)  # yes: bladder or bowels, trouble peeing, or numb between the legs
    speech, attrs = _turn(YES, attrs)  # yes, it is new
    assert "call 911 now" in speech.lower()
    start_over = {"type": "IntentRequest",
                  "intent": {"name": "AMAZON.StartOverIntent", "confirmationStatus": "NONE", "slots": {}}}
    speech, attrs = _turn(start_over, attrs)
    assert "call 911 now" in speech.lower()


def test_launch_in_an_open_session_keeps_red_flags():
    kb = load_knowledge()
    _, attrs = _turn({"type": "LaunchRequest"}, {}, new=True)
    speech, attrs = _turn(YES, attrs)  # yes: bladder or bowels, trouble peeing, or numb between the legs
    speech, attrs = _turn(YES, attrs)  # yes, it is new -> emergency
    assert "call 911 now" in speech.lower()
    speech, attrs = _turn({"type": "LaunchRequest"}, attrs, new=False)
    heard = engine.red_flags_heard(engine.check_state(attrs["interview"], kb), kb)
    assert "cauda_equina_sign" in heard, f"red flag dropped; Alexa said: {speech}"
    assert "call 911 now" in speech.lower(), speech


def test_an_unreadable_request_in_a_session_keeps_the_session_attributes():
    _, attrs = _turn({"type": "LaunchRequest"}, {}, new=True)
    speech, attrs = _turn(YES, attrs)
    speech, attrs = _turn(YES, attrs)  # new: emergency
    assert "call 911 now" in speech.lower() and attrs.get("interview")
    raw = lambda_function.lambda_handler(_event({"type": "Some.FutureRequest"}, attrs, new=False), None)
    assert raw.get("sessionAttributes") == attrs
