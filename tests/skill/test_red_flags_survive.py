"""Issue 13, item 1: an affirmed red flag outlives every path that replaces the live interview -- resume, "open"
again, start over, a stored record, a state from another knowledge version or with a malformed event -- until the
person explicitly withdraws it. Through the real lambda_handler path (skill.invoke) with real envelopes."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import Any

import pytest

from skill import build_skill
from triage import engine
from triage.knowledge import load_knowledge

from .conftest import Conversation, webservice_transport

KB = load_knowledge()
EMERGENCY = {"value": "wet myself", "id": "loss_bladder_bowel"}


def heard(conv: Conversation) -> tuple[str, ...]:
    """Red flags in the session's interview, as the current knowledge reads it (never a salvaged guess)."""
    return engine.red_flags_heard(engine.check_state(conv.attributes["interview"], KB), KB)


def _interrupted(talk: Any) -> None:
    first = talk()
    first.launch()
    first.intent("RememberMeIntent")
    first.no()
    first.no()
    first.session_ended("EXCEEDED_MAX_REPROMPTS")


def test_reopening_after_a_volunteered_emergency_never_resumes_the_stored_interview(talk_anywhere):
    """The reliability review's sequence: resume offered, "I wet myself", "open ..." again, "yes", "stop" -- through
    the Lambda's entry and through the webservice."""
    talk = talk_anywhere
    _interrupted(talk)
    conv = talk()
    assert "carry on" in conv.launch().speech
    assert "Is that new, or worse" in conv.intent("VolunteerSymptomIntent", {"symptom": EMERGENCY}).speech
    assert conv.yes().speech.startswith("Call 911 now.")
    again = conv.launch()  # "open back numbness helper" inside the same session
    assert again.speech.startswith("Call 911 now.") and "carry on" not in again.speech
    assert conv.yes().speech.startswith("Call 911 now.")  # yes = repeat the instruction, not "resume"
    assert heard(conv) == ("loss_bladder_bowel",)
    bye = conv.intent("AMAZON.StopIntent")
    assert "call 911 now" in bye.speech.lower() and bye.ended


def test_a_red_flag_said_instead_of_answering_the_resume_offer_is_kept(talk):
    _interrupted(talk)
    conv = talk()
    conv.launch()
    weak = conv.intent("VolunteerSymptomIntent",
                       {"symptom": {"value": "my legs feel weak", "id": "weakness_walking_balance"}})
    assert "Is that new, or worse" in weak.speech
    assert "bladder or bowels" in conv.yes().speech  # the questions that could still raise the advice
    again = conv.launch()
    assert "carry on" not in again.speech and "bladder or bowels" in again.speech
    assert heard(conv) == ("weakness_walking_balance",)


def test_declining_a_stored_interview_keeps_its_red_flags(talk):
    first = talk()
    first.launch()
    first.intent("RememberMeIntent")
    first.intent("VolunteerSymptomIntent", {"symptom": {"value": "my leg gave way", "id": "weakness_walking_balance"}})
    first.yes()  # new
    assert "bladder or bowels" in first.turns[-1].speech  # unfinished: the questions that could raise it
    first.session_ended("EXCEEDED_MAX_REPROMPTS")
    conv = talk()
    assert "carry on" in conv.launch().speech
    turn = conv.no()
    assert "starting again" in turn.speech.lower() and "keep in mind" in turn.speech.lower()
    assert heard(conv) == ("weakness_walking_balance",)


def test_a_stored_interview_of_older_knowledge_is_reduced_to_its_red_flags(talk, tmp_path):
    first = talk()
    first.launch()
    first.intent("RememberMeIntent")
    first.intent("VolunteerSymptomIntent", {"symptom": {"value": "my leg gave way", "id": "weakness_walking_balance"}})
    first.session_ended()
    with closing(sqlite3.connect(tmp_path / "skill.sqlite3")) as db, db:
        (raw,) = db.execute("SELECT value FROM fields WHERE field LIKE 'interview.%'").fetchone()
        interview = json.loads(raw)
        interview["kb"] = "2020-01-01.0"
        db.execute("UPDATE fields SET value = ? WHERE field LIKE 'interview.%'", (json.dumps(interview),))
    conv = talk()
    turn = conv.launch()
    assert turn.speech.startswith("My questions have changed since we last spoke, so let's start again.")
    assert "bladder or bowels" in turn.speech and not turn.ended  # politely, from the first question
    assert heard(conv) == ("weakness_walking_balance",)


# --- a state the engine cannot read, arriving mid-session ------------------------------------------------------

def _forged(kind: str) -> dict[str, Any]:
    good = [["a", "cauda_equina", "no"], ["a", "weakness_walking_balance", "yes"]]
    base = {"v": engine.STATE_VERSION, "kb": KB.version, "events": good, "carried": []}
    if kind == "other_version":
        return {**base, "kb": "2020-01-01.0"}
    if kind == "old_state_version":
        return {**base, "v": 0}
    if kind == "malformed_event":
        return {**base, "events": [*good, ["a", "no_such_question", "yes"]]}
    if kind == "volunteered_then_junk":
        return {**base, "events": [["v", "weakness_walking_balance"], ["z", 1]]}
    assert kind == "carried_unknown"
    return {**base, "carried": ["weakness_walking_balance", "retired_flag"], "events": []}


KINDS = ["other_version", "old_state_version", "malformed_event", "volunteered_then_junk", "carried_unknown"]
REQUESTS: dict[str, dict[str, Any]] = {
    "yes": {"name": "AMAZON.YesIntent"},
    "no": {"name": "AMAZON.NoIntent"},
    "dont_know": {"name": "DontKnowIntent"},
    "duration": {"name": "DurationIntent", "slots": {"duration": "P2W"}},
    "body_area": {"name": "BodyAreaIntent", "slots": {"area": {"value": "legs", "id": "legs_feet"}}},
    "volunteer": {"name": "VolunteerSymptomIntent", "slots": {"symptom": {"value": "severe", "id": "severe"}}},
    "help": {"name": "AMAZON.HelpIntent"},
    "repeat": {"name": "AMAZON.RepeatIntent"},
    "go_back": {"name": "AMAZON.PreviousIntent"},
    "start_over": {"name": "AMAZON.StartOverIntent"},
    "fallback": {"name": "AMAZON.FallbackIntent"},
    "explain": {"name": "ExplainCauseIntent", "slots": {"cause": {"value": "sciatica", "id": "herniated_disc"}}},
    "warning_signs": {"name": "WarningSignsIntent"},
    "rate": {"name": "SpeechRateIntent", "slots": {"rate": {"value": "slower", "id": "slower"}}},
    "unknown_intent": {"name": "SomethingNewIntent"},
    "launch": {},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("request_name", sorted(REQUESTS))
def test_an_unreadable_state_keeps_its_red_flags_whatever_arrives(conversation, kind, request_name):
    conv = conversation()
    conv.launch()
    conv.attributes["interview"] = _forged(kind)
    spec = REQUESTS[request_name]
    turn = conv.launch() if request_name == "launch" else conv.intent(spec["name"], spec.get("slots"))
    assert turn.speech and not turn.ended
    assert "weakness_walking_balance" in heard(conv), f"{request_name} dropped the red flag"
    if request_name not in ("repeat", "help", "explain", "warning_signs", "rate", "unknown_intent", "fallback",
                            "go_back"):
        assert "today" in turn.speech.lower() or "weakness" in turn.speech.lower() or "?" in turn.speech
    if request_name in ("yes", "no", "dont_know", "duration", "body_area"):  # meant for the old interview's question
        assert not any(e[0] in "au" for e in conv.attributes["interview"]["events"]), "answered an unheard question"
    bye = conv.intent("AMAZON.StopIntent")
    assert "get seen today" in bye.speech.lower(), bye.speech  # the advice the red flag implies, on leaving


@pytest.mark.parametrize("kind", KINDS)
def test_a_red_flag_said_in_passing_with_an_unreadable_state_is_kept(conversation, kind):
    """The reply answers nothing of the new interview, but a sign said in it is the person's own words, not an
    answer to an unheard question: "both my legs" is recorded (and its "is that new?" check asked) like any other."""
    conv = conversation()
    conv.launch()
    conv.attributes["interview"] = _forged(kind)
    turn = conv.intent("BodyAreaIntent", {"area": {"value": "both legs", "id": "legs_feet"}})
    assert "Is that new, or worse" in turn.speech, turn.speech
    assert conv.yes().speech
    assert "both_legs" in heard(conv) and "weakness_walking_balance" in heard(conv)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("through", ["lambda", "webservice"])
def test_the_person_is_told_in_one_sentence(kind, through):
    skill = build_skill()
    conv = Conversation(skill=skill, transport=webservice_transport(skill) if through == "webservice" else None)
    conv.launch()
    conv.attributes["interview"] = _forged(kind)
    turn = conv.intent("AMAZON.NoIntent")
    assert turn.speech.startswith("My questions have just been updated, so let's start them again, keeping the "
                                  "warning signs you told me about.")
    again = conv.intent("AMAZON.NoIntent")  # said once, not every turn
    assert "updated" not in again.speech


def test_an_unreadable_emergency_stays_an_emergency(conversation):
    conv = conversation()
    conv.launch()
    conv.attributes["interview"] = {"v": 1, "kb": "2020-01-01.0", "events": [["a", "cauda_equina", "yes"]],
                                    "carried": []}
    turn = conv.intent("AMAZON.NoIntent")
    assert turn.speech.startswith("Call 911 now.")
    assert heard(conv) == ("cauda_equina_sign",)


# The knowledge before issue 9 (2026-11-25.1) asked the three cauda equina signs one by one, first; an interview in
# a session, or stored for a person who said "remember me", across that upgrade holds those answers. The questions
# keep their ids and meaning (they are now asked one by one after "I don't know" to the grouped question), so a yes
# to one of them is still an emergency after the upgrade -- it must not be dropped.
RETIRED = {"bladder_bowel": "loss_bladder_bowel", "urinary_retention": "urinary_retention",
           "saddle_numbness": "saddle_numbness"}


@pytest.mark.parametrize("confirmed", [False, True], ids=["check-open", "new"])
@pytest.mark.parametrize("question", sorted(RETIRED))
def test_an_emergency_affirmed_under_the_previous_questions_stays_an_emergency(conversation, question, confirmed):
    events = [["a", question, "yes"], *([["a", f"{RETIRED[question]}_new", "yes"]] if confirmed else [])]
    conv = conversation()
    conv.launch()
    conv.attributes["interview"] = {"v": engine.STATE_VERSION, "kb": "2026-11-25.1", "events": events, "carried": []}
    turn = conv.intent("AMAZON.NoIntent")
    assert turn.speech.startswith("Call 911 now."), turn.speech
    assert heard(conv) == (RETIRED[question],)


def test_an_unreadable_state_without_red_flags_starts_again_politely(conversation):
    conv = conversation()
    conv.launch()
    conv.attributes["interview"] = {"v": 1, "kb": "2020-01-01.0", "events": [["a", "cauda_equina", "no"]]}
    turn = conv.intent("AMAZON.NoIntent")
    assert turn.speech.startswith("My questions have just been updated, so let's start them again.")
    assert heard(conv) == ()


def test_a_reply_to_an_unreadable_state_answers_no_question_the_person_has_not_heard(conversation):
    conv = conversation()
    conv.launch()
    conv.attributes["interview"] = {"v": 1, "kb": "2020-01-01.0", "carried": [],
                                    "events": [["a", "cauda_equina", "no"], ["a", "weakness_walking_balance", "no"]]}
    turn = conv.intent("AMAZON.NoIntent")  # meant for the question this person heard last: the injury question
    assert "lost control of your bladder or bowels" in turn.speech, turn.speech
    assert not any(event[:2] == ["a", "cauda_equina"] for event in conv.attributes["interview"]["events"])
