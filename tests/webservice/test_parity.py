"""Issue 10: the self-hosted webservice answers exactly as the Lambda does, for every request type -- the same
envelopes through ``lambda_function.lambda_handler`` and through the webservice (POST /, verification off), and
the same response documents back, including request types the SDK does not know."""

from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from hosting.webservice import create_app, project_skill

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _events() -> dict[str, dict[str, Any]]:
    out = {p.stem: json.loads(p.read_text()) for p in sorted(EVENTS.glob("*.json"))}
    launch = out["launch"]

    def variant(request: dict[str, Any], session: bool = True, **session_changes: Any) -> dict[str, Any]:
        env = copy.deepcopy(launch)
        env["request"] = {"requestId": "amzn1.echo-api.request.parity", "timestamp": launch["request"]["timestamp"],
                          "locale": "en-GB", **request}
        if session:
            env["session"].update({"new": False, **session_changes})
        else:
            env.pop("session")
        return env

    out["unknown_request_type"] = variant({"type": "Alexa.Future.SomethingHappened"})
    out["unknown_intent"] = variant({"type": "IntentRequest", "dialogState": "IN_PROGRESS",
                                     "intent": {"name": "SomethingNewIntent", "confirmationStatus": "NONE"}})
    out["system_exception"] = variant({"type": "System.ExceptionEncountered",
                                       "error": {"type": "INVALID_RESPONSE", "message": "x"},
                                       "cause": {"requestId": "amzn1.echo-api.request.before"}})
    out["sessionless_audio_event"] = variant({"type": "AudioPlayer.PlaybackStarted", "token": "t",
                                              "offsetInMilliseconds": 0}, session=False)
    out["one_shot_question"] = variant({"type": "IntentRequest", "dialogState": "STARTED",
                                        "intent": {"name": "WarningSignsIntent", "confirmationStatus": "NONE"}},
                                       new=True)
    out["session_ended_error"] = variant({"type": "SessionEndedRequest", "reason": "ERROR",
                                          "error": {"type": "INVALID_RESPONSE", "message": "x"}})
    out["mid_interview_with_attributes"] = out.pop("yes_mid_interview")
    return out


EVENT_DOCS = _events()


@pytest.fixture
def lambda_handler(monkeypatch: pytest.MonkeyPatch) -> Any:
    for key in ("TABLE_NAME", "SKILL_ID"):
        monkeypatch.delenv(key, raising=False)
    import lambda_function

    return importlib.reload(lambda_function).lambda_handler  # built as a cold start would, from this environment


@pytest.fixture
def webservice() -> Any:
    app = create_app(project_skill(None), verify=False, skill_id=None)
    app.testing = True
    return app.test_client()


def test_every_kind_of_request_is_covered() -> None:
    kinds = {doc["request"]["type"] for doc in EVENT_DOCS.values()}
    assert {"LaunchRequest", "IntentRequest", "SessionEndedRequest", "System.ExceptionEncountered",
            "AudioPlayer.PlaybackStarted", "Alexa.Future.SomethingHappened"} <= kinds


@pytest.mark.parametrize("name", sorted(EVENT_DOCS))
def test_the_webservice_answers_exactly_as_the_lambda(name: str, lambda_handler: Any, webservice: Any) -> None:
    event = EVENT_DOCS[name]
    from_lambda = json.loads(json.dumps(lambda_handler(copy.deepcopy(event), None)))
    resp = webservice.post("/", data=json.dumps(event), content_type="application/json")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json() == from_lambda
