"""End to end on moto: the real skill, real envelopes, DynamoDB through the factory and the resilient wrapper.

A conversation interrupted after two answers resumes in a new session at the third question; storage faults
never cost the person an answer nor the interview in progress."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from skill import build_skill
from skill.persistence import ResilientPersistence, adapter_from_env
from tests.conversations import USER_ID, Conversation, Turn, envelope
from tests.persistence.helpers import TABLE, interviews, owner_of_event

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = {q["id"]: q for q in json.loads((ROOT / "knowledge" / "compiled.json").read_text())["questions"]}
ORDER = [qid for qid, q in QUESTIONS.items() if not q.get("follows") and not q.get("ask_if")]  # all "no"


def asks(turn: Turn, question_id: str) -> bool:
    q = QUESTIONS[question_id]
    return q["text"] in turn.speech or q.get("plain", "\0") in turn.speech


OWNER_EVENT = envelope({"type": "LaunchRequest"}, None, True, "amzn1.echo-api.session.x", "en-US")


@pytest.fixture
def persistent_skill(dynamodb: Any) -> Any:
    adapter = adapter_from_env(dynamodb_resource=dynamodb)
    assert adapter is not None
    return build_skill(persistence_adapter=ResilientPersistence(adapter))


def test_interrupted_after_two_answers_resumes_at_the_third_question(persistent_skill: Any, dynamodb: Any) -> None:
    first, second, third = ORDER[0], ORDER[1], ORDER[2]
    talk = Conversation(skill=persistent_skill)
    assert asks(talk.launch(), first)
    assert asks(talk.intent("RememberMeIntent"), first)  # consent: nothing about health is kept without it
    assert asks(talk.intent("AMAZON.NoIntent"), second)
    assert asks(talk.intent("AMAZON.NoIntent"), third)
    talk.session_ended("EXCEEDED_MAX_REPROMPTS")  # two silent reprompts: Alexa closes the session

    item = dynamodb.Table(TABLE).get_item(Key={"id": owner_of_event(OWNER_EVENT)})["Item"]
    (interview,) = interviews(item).values()
    assert [e[1] for e in interview["events"]] == [first, second]
    assert int(item["ttl"]) > 0

    again = Conversation(skill=persistent_skill)  # a new session, the same user
    offer = again.launch()
    assert not asks(offer, first)
    assert asks(again.intent("AMAZON.YesIntent"), third)


def test_storage_down_the_person_still_gets_answers_and_the_interview_goes_on(
    persistent_skill: Any, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from botocore.stub import Stubber

    talk = Conversation(skill=persistent_skill)
    with Stubber(dynamodb.meta.client) as down:  # every DynamoDB call of these two turns is throttled
        down.add_client_error("get_item", service_error_code="ProvisionedThroughputExceededException")
        down.add_client_error("update_item", service_error_code="ThrottlingException")
        assert asks(talk.launch(), ORDER[0])
        assert asks(talk.intent("RememberMeIntent"), ORDER[0])  # the consent's save is throttled
        down.assert_no_pending_responses()
    assert "code=ProvisionedThroughputExceededException" in caplog.text
    assert "code=ThrottlingException" in caplog.text
    # DynamoDB is back: the next turns save everything, including the consent given while it was down.
    assert asks(talk.intent("AMAZON.NoIntent"), ORDER[1])  # session attributes carry the interview
    assert asks(talk.intent("AMAZON.NoIntent"), ORDER[2])
    user = USER_ID
    item = dynamodb.Table(TABLE).get_item(Key={"id": owner_of_event(OWNER_EVENT)})["Item"]
    (interview,) = interviews(item).values()
    assert [e[1] for e in interview["events"]] == ORDER[:2]  # incl. the answer given while storage was down
    assert user not in caplog.text and owner_of_event(OWNER_EVENT) not in caplog.text
    assert all(r.levelno < logging.CRITICAL for r in caplog.records)
