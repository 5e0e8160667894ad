"""What the person hears across sessions, with the embedded store, where a test must reach into the store or the
SSML: last time's advice as codes, the date spoken as a date (an interview stored under older knowledge:
tests/skill/test_red_flags_survive.py). The rest of remembering (resume, consent, stop remembering, delete) is
conversation data: tests/persistence/conversations/memory.yaml."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from tests.conversations import stored_record

from .conftest import Conversation


def test_last_time_s_advice_is_remembered_as_codes(talk, tmp_path):
    first = talk()
    first.launch()
    first.intent("RememberMeIntent")
    first.yes()  # the bladder, bowels, peeing or numb-between-the-legs question: "call now if this is new; is it new?"
    first.yes()  # new: an emergency
    first.no()
    turn = talk().intent("LastResultIntent")
    assert "my advice was: This could be an emergency." in turn.speech
    with closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db:
        (raw,) = db.execute("SELECT value FROM fields WHERE field = 'last'").fetchone()
    assert json.loads(raw)["disposition"] == "emergency"


# --- consent before memory (issue 12) -------------------------------------------------------------------------------

def _stored(tmp_path) -> dict:
    return stored_record(tmp_path / "skill.sqlite3")


def _self_care_advice(conv: Conversation) -> Conversation:
    conv.launch()
    for _ in range(6):  # the five red-flag questions and the one about sudden, severe or spreading
        turn = conv.no()
    assert "How long" in turn.speech, turn.speech
    conv.intent("DurationIntent", {"duration": "PT3H"})
    conv.yes()
    conv.intent("TriggerIntent", {"trigger": {"value": "sleeping funny", "id": "sleep_position"}})  # the advice
    return conv


def test_consent_yes_keeps_the_result_and_the_date_is_spoken_as_a_date(talk, tmp_path):
    conv = _self_care_advice(talk())
    conv.no()  # no to the warning signs: "shall I remember this advice?"
    assert conv.yes().ended
    record = _stored(tmp_path)
    assert record["consent"] is True and record["last"]["disposition"] == "self_care"
    turn = talk().intent("LastResultIntent")
    assert '<say-as interpret-as="date" format="ymd">' in turn.ssml
    assert "my advice was: This sounds like temporary pressure on a nerve." in turn.speech
    assert "go through my questions" in turn.speech  # ends with an offer, not a symptom question
    decline = talk()
    decline.intent("LastResultIntent")
    assert decline.no().ended and "interview" not in _stored(tmp_path)  # "no thanks" was not an answer


