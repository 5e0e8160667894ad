"""What the person hears across sessions, with the embedded store: resume offered and declined, an interview
stored under older knowledge dropped politely, last time's advice, and forgetting."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from .conftest import Conversation


def two_answers_then(talk, leave) -> None:
    """Launch, answer the first two questions "no", then leave the session the given way."""
    first = talk()
    first.launch()
    first.intent("RememberMeIntent")  # consent: without it nothing about health is kept
    first.no()
    first.no()
    leave(first)


def test_resume_is_offered_and_can_be_declined(talk):
    two_answers_then(talk, lambda conv: conv.session_ended("EXCEEDED_MAX_REPROMPTS"))
    again = talk()
    offer = again.launch()
    assert "part way through" in offer.speech and "carry on" in offer.speech
    turn = again.no()
    assert turn.speech.startswith("Okay, starting again.") and "bladder or bowels" in turn.speech
    third = talk()
    assert "Welcome to Back Numbness Helper" in third.launch().speech  # the declined interview is gone


def test_resume_accepted_goes_on_at_the_next_question(talk):
    two_answers_then(talk, lambda conv: conv.intent("AMAZON.StopIntent"))
    again = talk()
    again.launch()
    assert "a fall, an accident" in again.yes().speech  # the third question


def test_an_interview_stored_under_older_knowledge_is_dropped_politely(talk, store, tmp_path):
    first = talk()
    first.launch()
    first.intent("RememberMeIntent")
    first.no()
    first.session_ended()
    with closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db, db:
        (raw,) = db.execute("SELECT value FROM fields WHERE field LIKE 'interview.%'").fetchone()
        interview = json.loads(raw)
        interview["kb"] = "2020-01-01.0"
        db.execute("UPDATE fields SET value = ? WHERE field LIKE 'interview.%'", (json.dumps(interview),))
    turn = talk().launch()
    assert turn.speech.startswith("My questions have changed since we last spoke, so let's start again.")
    assert "bladder or bowels" in turn.speech and not turn.ended


def test_last_time_s_advice_is_remembered_as_codes(talk, tmp_path):
    first = talk()
    first.launch()
    first.intent("RememberMeIntent")
    first.yes()  # emergency
    first.no()
    turn = talk().intent("LastResultIntent")
    assert "my advice was: This could be an emergency." in turn.speech
    with closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db:
        (raw,) = db.execute("SELECT value FROM fields WHERE field = 'last'").fetchone()
    assert json.loads(raw)["disposition"] == "emergency"


# --- consent before memory (issue 12) -------------------------------------------------------------------------------

def _stored(tmp_path) -> dict:
    """The stored record's fields that hold a value (an interview of any device as "interview")."""
    with closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db:
        rows = db.execute("SELECT field, value FROM fields WHERE value IS NOT NULL").fetchall()
    return {field.split(".", 1)[0]: json.loads(value) for field, value in rows}


def _self_care_then_no_thanks(conv: Conversation) -> Conversation:
    conv.launch()
    for _ in range(7):
        conv.no()
    conv.intent("DurationIntent", {"duration": "PT3H"})
    conv.yes()
    conv.intent("TriggerIntent", {"trigger": {"value": "sleeping funny", "id": "sleep_position"}})
    conv.no()  # causes
    return conv


def test_consent_is_asked_once_at_the_end_and_a_no_keeps_nothing_about_health(talk, tmp_path):
    conv = _self_care_then_no_thanks(talk())
    ask = conv.no()  # warning signs: no -> before the goodbye, the one question about memory
    assert "shall I remember this advice" in ask.speech and not ask.ended
    bye = conv.no()
    assert "won't keep anything about your health" in bye.speech and bye.ended
    assert _stored(tmp_path) == {"consent": False}
    again = _self_care_then_no_thanks(talk())
    assert again.no().ended  # not asked again
    assert "I only keep your answers if you ask me to" in talk().intent("LastResultIntent").speech


def test_consent_yes_keeps_the_result_and_the_date_is_spoken_as_a_date(talk, tmp_path):
    conv = _self_care_then_no_thanks(talk())
    conv.no()
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


def test_without_consent_an_unfinished_interview_is_not_kept(talk, tmp_path):
    conv = talk()
    conv.launch()
    conv.no()
    conv.no()
    conv.session_ended("EXCEEDED_MAX_REPROMPTS")
    assert _stored(tmp_path) == {}
    assert "Welcome to Back Numbness Helper" in talk().launch().speech


def test_stop_remembering_me_drops_what_was_kept_and_keeps_the_no(talk, tmp_path):
    two_answers_then(talk, lambda conv: conv.intent("AMAZON.StopIntent"))
    assert "interview" in _stored(tmp_path)
    conv = talk()
    assert "carry on" in conv.launch().speech
    turn = conv.intent("StopRememberingIntent")
    assert "forgotten your answers" in turn.speech and "go through my questions" in turn.speech
    conv.intent("AMAZON.StopIntent")
    assert _stored(tmp_path) == {"consent": False}
    assert "Welcome to Back Numbness Helper" in talk().launch().speech
