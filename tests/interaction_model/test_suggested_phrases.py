"""Every phrase the skill tells people to say is understood, as the intent it suggests (Alexa design rule:
any example phrase you suggest must be covered by the model). Checked with the local hassil NLU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import build_models
from tools.nlu import LocalNlu
from triage.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
STRINGS = json.loads((ROOT / "lambda" / "skill" / "strings.json").read_text())["en"]

SUGGESTED = {
    # strings.json
    "yes": "AMAZON.YesIntent", "no": "AMAZON.NoIntent", "I don't know": "DontKnowIntent",
    "repeat": "AMAZON.RepeatIntent", "go back": "AMAZON.PreviousIntent", "start over": "AMAZON.StartOverIntent",
    "stop": "AMAZON.StopIntent", "warning signs": "WarningSignsIntent", "tell me about a cause": "HearAboutCauseIntent",
    "what is sciatica": "ExplainCauseIntent", "what is spinal stenosis": "ExplainCauseIntent",
    "speak slower": "SpeechRateIntent", "speak faster": "SpeechRateIntent", "speak normally": "SpeechRateIntent",
    "delete my data": "DeleteDataIntent",
    # knowledge/questions.yaml reprompts for the choice questions
    "sleeping": "TriggerIntent", "sitting": "TriggerIntent", "tight clothing": "TriggerIntent",
    "none of these": "TriggerIntent", "legs": "BodyAreaIntent", "buttocks": "BodyAreaIntent",
    "hands and feet": "BodyAreaIntent", "only my back": "BodyAreaIntent",
    # durations offered as examples
    "a few hours": "DurationIntent", "three days": "DurationIntent", "two weeks": "DurationIntent",
}


FROM_STRINGS = ("I don't know", "repeat", "go back", "start over", "stop", "warning signs", "tell me about a cause",
                "what is sciatica", "what is spinal stenosis", "speak slower", "speak faster", "speak normally")
FROM_REPROMPTS = ("sleeping", "sitting", "tight clothing", "none of these", "legs", "buttocks", "hands and feet",
                  "only my back", "a few hours", "three days", "two weeks")


def test_the_list_holds_what_the_skill_actually_suggests():
    said = " ".join(str(v) for v in STRINGS.values()).lower()
    for phrase in FROM_STRINGS:
        assert phrase.lower() in said, f"strings.json no longer suggests {phrase!r}: update SUGGESTED"
    reprompts = " ".join(q.reprompt.lower() for q in load_knowledge().questions)
    for phrase in FROM_REPROMPTS:
        assert phrase in reprompts, f"questions.yaml no longer suggests {phrase!r}: update SUGGESTED"
    manifest = build_models.manifest_path().read_text().lower()
    assert "delete my data" in manifest
    assert set(FROM_STRINGS) | set(FROM_REPROMPTS) | {"yes", "no", "delete my data"} == set(SUGGESTED)


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
@pytest.mark.parametrize(("phrase", "intent"), sorted(SUGGESTED.items()))
def test_suggested_phrase_is_understood(locale, phrase, intent):
    understood = LocalNlu.for_locale(locale).intent_for(phrase)
    assert understood.intent == intent, f"{phrase!r} -> {understood.intent}"
    for slot in understood.slots.values():
        if "value" in slot and "resolutions" in slot:
            status = slot["resolutions"]["resolutionsPerAuthority"][0]["status"]["code"]
            assert status == "ER_SUCCESS_MATCH", (phrase, slot)
