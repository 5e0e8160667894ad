"""End to end on moto: the real skill, real envelopes, DynamoDB through the factory and the resilient wrapper.

A conversation interrupted after two answers resumes in a new session at the third question; storage faults
never cost the person an answer nor the interview in progress."""

from __future__ import annotations

import copy
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from skill import build_skill, invoke
from skill.persistence import ResilientPersistence, adapter_from_env
from tests.persistence.helpers import TABLE

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = {q["id"]: q for q in json.loads((ROOT / "knowledge" / "compiled.json").read_text())["questions"]}
ORDER = [qid for qid, q in QUESTIONS.items() if not q.get("follows")]  # asked when all is "no"
SER = DefaultSerializer()


class Conversation:
    """Sends envelopes like Alexa: session attributes carried within a session, a fresh session on launch."""

    def __init__(self, skill: Any) -> None:
        self.skill = skill
        self.base = json.loads((ROOT / "events" / "launch.json").read_text())
        self.session_id = ""
        self.attributes: dict[str, Any] = {}
        self.new = True

    def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(self.base)
        event["session"].update(new=self.new, sessionId=self.session_id, attributes=self.attributes)
        event["request"] = {"requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "locale": "en-US",
                            "timestamp": "2026-11-24T15:00:00Z", **request}
        out = invoke(self.skill, event)
        SER.deserialize(json.dumps(out), ResponseEnvelope)  # always a valid Alexa response
        self.new = False
        self.attributes = out.get("sessionAttributes") or {}
        return out

    def launch(self) -> str:
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.attributes, self.new = {}, True
        return speech(self._send({"type": "LaunchRequest"}))

    def intent(self, name: str) -> str:
        return speech(self._send({"type": "IntentRequest", "dialogState": "STARTED",
                                  "intent": {"name": name, "confirmationStatus": "NONE", "slots": {}}}))

    def cut_off(self) -> None:
        """Two silent reprompts: Alexa closes the session."""
        self._send({"type": "SessionEndedRequest", "reason": "EXCEEDED_MAX_REPROMPTS"})


def speech(out: dict[str, Any]) -> str:
    return str((out["response"].get("outputSpeech") or {}).get("ssml", ""))


def asks(said: str, question_id: str) -> bool:
    q = QUESTIONS[question_id]
    return q["text"] in said or q.get("plain", "\0") in said


@pytest.fixture
def persistent_skill(dynamodb: Any) -> Any:
    adapter = adapter_from_env(dynamodb_resource=dynamodb)
    assert adapter is not None
    return build_skill(persistence_adapter=ResilientPersistence(adapter))


def test_interrupted_after_two_answers_resumes_at_the_third_question(persistent_skill: Any, dynamodb: Any) -> None:
    first, second, third = ORDER[0], ORDER[1], ORDER[2]
    talk = Conversation(persistent_skill)
    assert asks(talk.launch(), first)
    assert asks(talk.intent("AMAZON.NoIntent"), second)
    assert asks(talk.intent("AMAZON.NoIntent"), third)
    talk.cut_off()

    item = dynamodb.Table(TABLE).get_item(Key={"id": talk.base["context"]["System"]["user"]["userId"]})["Item"]
    assert [e[1] for e in item["attributes"]["interview"]["events"]] == [first, second]
    assert int(item["ttl"]) > 0

    again = Conversation(persistent_skill)  # a new session, the same user
    offer = again.launch()
    assert not asks(offer, first)
    assert asks(again.intent("AMAZON.YesIntent"), third)


def test_storage_down_the_person_still_gets_answers_and_the_interview_goes_on(
    persistent_skill: Any, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from botocore.stub import Stubber

    talk = Conversation(persistent_skill)
    with Stubber(dynamodb.meta.client) as down:  # every DynamoDB call of these two turns is throttled
        down.add_client_error("get_item", service_error_code="ProvisionedThroughputExceededException")
        down.add_client_error("put_item", service_error_code="ThrottlingException")
        assert asks(talk.launch(), ORDER[0])
        assert asks(talk.intent("AMAZON.NoIntent"), ORDER[1])  # session attributes carry the interview
        down.assert_no_pending_responses()
    assert "code=ProvisionedThroughputExceededException" in caplog.text
    assert "code=ThrottlingException" in caplog.text
    # DynamoDB is back: the next turn saves everything, including the answer given while it was down.
    assert asks(talk.intent("AMAZON.NoIntent"), ORDER[2])
    user = talk.base["context"]["System"]["user"]["userId"]
    item = dynamodb.Table(TABLE).get_item(Key={"id": user})["Item"]
    assert [e[1] for e in item["attributes"]["interview"]["events"]] == ORDER[:2]
    assert user not in caplog.text
    assert all(r.levelno < logging.CRITICAL for r in caplog.records)
