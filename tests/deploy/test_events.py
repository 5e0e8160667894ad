"""events/*.json: current Alexa envelopes that the SDK model reads and the real handler answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import IntentRequest, LaunchRequest, RequestEnvelope, ResponseEnvelope, SessionEndedRequest
from ask_sdk_model.slu.entityresolution import StatusCode

import lambda_function
from tools.invoke import find_rie, have_awslambdaric

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("*.json"))
SER = DefaultSerializer()
REQUIRED = {"launch", "yes_mid_interview", "volunteer_emergency", "help", "stop", "session_ended"}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_the_required_events_exist() -> None:
    assert {p.stem for p in EVENTS} >= REQUIRED


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_event_is_a_current_envelope(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    env = SER.deserialize(json.dumps(raw), RequestEnvelope)
    system = env.context.system
    assert env.version == "1.0"
    assert system.application.application_id.startswith("amzn1.ask.skill.")
    assert system.user.user_id.startswith("amzn1.ask.account.")
    assert system.device.device_id.startswith("amzn1.ask.device.")
    assert system.api_endpoint.startswith("https://api.") and system.api_access_token
    assert env.session.attributes is not None
    assert env.request.locale == "en-US" and env.request.timestamp and env.request.request_id
    if isinstance(env.request, IntentRequest):
        assert env.request.dialog_state is not None or env.request.intent.name.startswith("AMAZON.")


def test_kinds_and_slots() -> None:
    def req(name: str) -> Any:
        return SER.deserialize(json.dumps(load(name)), RequestEnvelope).request

    assert isinstance(req("launch"), LaunchRequest)
    assert req("yes_mid_interview").intent.name == "AMAZON.YesIntent"
    assert req("help").intent.name == "AMAZON.HelpIntent"
    assert req("stop").intent.name == "AMAZON.StopIntent"
    ended = req("session_ended")
    assert isinstance(ended, SessionEndedRequest) and ended.reason.value == "ERROR"
    vol = req("volunteer_emergency")
    assert vol.intent.name == "VolunteerSymptomIntent"
    authority = vol.intent.slots["symptom"].resolutions.resolutions_per_authority[0]
    assert authority.status.code == StatusCode.ER_SUCCESS_MATCH
    assert authority.values[0].value.id == "loss_bladder_bowel"


@pytest.mark.parametrize("path", EVENTS, ids=lambda p: p.stem)
def test_handler_answers_every_event(path: Path) -> None:
    out = lambda_function.lambda_handler(json.loads(path.read_text(encoding="utf-8")), None)
    envelope = SER.deserialize(json.dumps(out), ResponseEnvelope)
    assert envelope.version == "1.0"
    response = envelope.response
    if path.stem == "session_ended":
        assert response.output_speech is None  # Alexa ignores (and flags) speech after the session ended
    else:
        assert response.output_speech is not None
    if path.stem == "stop":
        assert response.should_end_session is True
    if path.stem == "volunteer_emergency":  # "is that new?" first; the reprompt says it could be an emergency
        assert "new, or worse" in response.output_speech.ssml
        assert "emergency" in response.reprompt.output_speech.ssml


def _invoke(mode: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "PYTEST"))}
    return subprocess.run(
        [sys.executable, "-m", "tools.invoke", "-e", "events/launch.json", "--mode", mode],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def _valid_launch_response(stdout: str) -> None:
    envelope = SER.deserialize(stdout, ResponseEnvelope)
    assert envelope.response.output_speech.ssml.startswith("<speak>")
    assert envelope.response.reprompt is not None  # a launch asks a question


def test_invoke_in_process_prints_a_valid_response() -> None:
    done = _invoke("in-process")
    assert done.returncode == 0, done.stderr
    assert "mode: in-process" in done.stderr
    _valid_launch_response(done.stdout)


@pytest.mark.skipif(find_rie() is None or not have_awslambdaric(),
                    reason="RIE binary (aws-sam-cli, e.g. .ci/sam-check) or awslambdaric not installed")
def test_invoke_behind_the_real_runtime_interface_emulator() -> None:
    done = _invoke("rie")
    assert done.returncode == 0, done.stderr
    assert "mode: rie" in done.stderr and "init " in done.stderr
    _valid_launch_response(done.stdout)
