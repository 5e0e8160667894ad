"""Errors never crash or fall silent; requests for another skill are refused; logs carry no personal data."""

from __future__ import annotations

import logging

import pytest
from ask_sdk_core.exceptions import AskSdkException

import lambda_function
from skill import build_skill, invoke
from triage import engine

from .conftest import DEVICE_ID, SKILL_ID, USER_ID, Conversation, envelope


def test_lambda_handler_answers_a_launch_the_way_lambda_calls_it():
    event = envelope({"type": "LaunchRequest"}, None, True, "s1", "en-US")
    out = lambda_function.lambda_handler(event, None)
    assert out["version"] == "1.0" and "bladder or bowels" in out["response"]["outputSpeech"]["ssml"]


def test_requests_for_another_skill_are_refused_when_skill_id_is_set():
    skill = build_skill(skill_id="amzn1.ask.skill.someone-else")
    with pytest.raises(AskSdkException):
        invoke(skill, envelope({"type": "LaunchRequest"}, None, True, "s1", "en-US"))
    ours = build_skill(skill_id=SKILL_ID)
    assert invoke(ours, envelope({"type": "LaunchRequest"}, None, True, "s1", "en-US"))["response"]


def test_an_internal_error_gets_safe_words_never_silence(conversation, monkeypatch):
    conv = conversation()
    conv.launch()
    monkeypatch.setattr(engine, "next_step", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    turn = conv.no()
    assert "something went wrong" in turn.speech and not turn.ended and turn.reprompt
    assert "boom" not in turn.speech and "Traceback" not in turn.speech


def test_an_internal_error_after_a_red_flag_repeats_the_advice(conversation, monkeypatch):
    conv = conversation("en-GB")
    conv.launch()
    conv.no()
    conv.yes()  # weakness: immediate
    monkeypatch.setattr(engine, "next_step", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    turn = conv.intent("AMAZON.HelpIntent")
    assert "because of what you told me" in turn.speech.lower() and "999" in turn.speech


def test_a_tampered_session_state_starts_safely_instead_of_crashing(skill):
    for bad in ({"v": 1, "kb": "x", "events": []}, {"events": [["a", "nope", "yes"]]}, "garbage", None, 42,
                {"v": 1, "kb": "2026-11-24.1", "events": [["a", "bladder_bowel", "maybe"]], "carried": []}):
        conv = Conversation(skill=skill, attributes={"interview": bad}, new=False)
        turn = conv.no()
        assert turn.speech and not turn.ended


def test_logs_carry_no_slot_values_answers_ids_or_tokens(skill, caplog):
    caplog.set_level(logging.DEBUG)
    conv = Conversation(skill=skill)
    secrets = ["wet myself", "a rash on my back", "P2W", "sleeping funny", USER_ID, DEVICE_ID,
               "TEST.ACCESS.TOKEN.SECRET", "amzn1.echo-api.session", "spinal stenosis"]
    conv.launch()
    conv.intent("VolunteerSymptomIntent", {"symptom": {"value": "a rash on my back", "id": "painful_rash"}})
    conv.no()
    conv.intent("ExplainCauseIntent", {"cause": {"value": "spinal stenosis", "id": "spinal_stenosis"}})
    conv.intent("DurationIntent", {"duration": "P2W"})
    conv.intent("TriggerIntent", {"trigger": {"value": "sleeping funny", "id": "sleep_position"}})
    conv.intent("VolunteerSymptomIntent", {"symptom": {"value": "wet myself", "id": "loss_bladder_bowel"}})
    conv.session_ended("ERROR", {"type": "INVALID_RESPONSE", "message": "wet myself"})
    records = [r.getMessage() + " " + str(r.args) for r in caplog.records]
    assert records, "the skill logs event names"
    for text in records:
        for secret in secrets:
            assert secret.lower() not in text.lower(), f"log leaks {secret!r}: {text}"
        for finding in ("loss_bladder_bowel", "painful_rash", "sleep_position"):
            assert finding not in text, f"log leaks an answer code: {text}"


def test_a_forged_intent_name_is_never_logged(skill, caplog):
    """The intent name comes from the request: one that is not shaped like an intent name (it could carry an id or
    words) is logged as "other"; real names are logged as event names."""
    caplog.set_level(logging.DEBUG)
    conv = Conversation(skill=skill)
    conv.launch()
    for forged in (USER_ID, "my back is numb Intent", "I wet myself"):
        assert conv.intent(forged).speech  # safe words, as for any intent the skill doesn't know
    conv.intent("AMAZON.NoIntent")
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "intent=other" in text and "intent=AMAZON.NoIntent" in text
    for forged in (USER_ID, "my back is numb", "wet myself"):
        assert forged.lower() not in text.lower()


def test_a_request_the_sdk_cannot_read_gets_an_empty_response_not_a_crash():
    future = envelope({"type": "Some.FutureRequest", "requestId": "r", "timestamp": "2026-11-24T12:00:00Z"},
                      None, True, "s1", "en-US")
    assert lambda_function.lambda_handler(future, None) == {"version": "1.0", "response": {}}
    assert lambda_function.lambda_handler({"garbage": True}, None)["version"] == "1.0"
    untyped = lambda_function.lambda_handler(envelope({"no": "type"}, None, True, "s1", "en-US"), None)
    assert untyped["version"] == "1.0"


def test_an_intent_request_without_an_intent_gets_safe_words(conversation):
    conv = conversation()
    conv.launch()
    turn = conv.send({"type": "IntentRequest"})
    assert turn.speech and not turn.ended
