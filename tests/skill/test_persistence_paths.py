"""What the person hears across sessions, with the embedded store: resume offered and declined, an interview
stored under older knowledge dropped politely, last time's advice, and forgetting."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from skill import build_skill
from tools.sqlite_persistence import SqlitePersistenceAdapter

from .conftest import Conversation


@pytest.fixture
def store(tmp_path):
    adapter = SqlitePersistenceAdapter(path=tmp_path / "skill.sqlite3")
    yield adapter
    adapter.close()


@pytest.fixture
def talk(store):
    skill = build_skill(persistence_adapter=store)
    return lambda: Conversation(skill=skill)


def two_answers_then(talk, leave) -> None:
    """Launch, answer the first two questions "no", then leave the session the given way."""
    first = talk()
    first.launch()
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
    assert "between your legs" in again.yes().speech  # the third question


def test_an_interview_stored_under_older_knowledge_is_dropped_politely(talk, store, tmp_path):
    first = talk()
    first.launch()
    first.no()
    first.session_ended()
    with closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db, db:
        (raw,) = db.execute("SELECT body FROM attributes").fetchone()
        record = json.loads(raw)
        record["interview"]["kb"] = "2020-01-01.0"
        db.execute("UPDATE attributes SET body = ?", (json.dumps(record),))
    turn = talk().launch()
    assert turn.speech.startswith("My questions have changed since we last spoke, so let's start again.")
    assert "bladder or bowels" in turn.speech and not turn.ended


def test_last_time_s_advice_is_remembered_as_codes(talk, tmp_path):
    first = talk()
    first.launch()
    first.yes()
    first.yes()  # new: emergency
    first.no()
    turn = talk().intent("LastResultIntent")
    assert "my advice was: This could be an emergency." in turn.speech
    with closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db:
        (raw,) = db.execute("SELECT body FROM attributes").fetchone()
    assert json.loads(raw)["last"]["disposition"] == "emergency"
