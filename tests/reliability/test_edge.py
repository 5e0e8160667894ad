"""Issue 13 defect 7 and item 4: inputs bounded before the SDK sees them, at both entry points (the Lambda's
``invoke`` and the webservice) through one check; the repeat cache never speaks unvalidated text."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hosting.webservice import create_app
from skill import build_skill, invoke
from skill.edge import MAX_DEPTH, check_request, valid_cached_speech
from tests import conversations

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = json.loads((ROOT / "events" / "launch.json").read_text())
YES = json.loads((ROOT / "events" / "yes_mid_interview.json").read_text())
SKILL = build_skill()


def nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


def with_attributes(event: dict[str, Any], attributes: Any) -> dict[str, Any]:
    forged = copy.deepcopy(event)
    forged["session"]["new"] = False
    forged["session"]["attributes"] = attributes
    return forged


def with_slots(slots: Any) -> dict[str, Any]:
    forged = copy.deepcopy(YES)
    forged["request"]["intent"]["slots"] = slots
    return forged


HOSTILE = {
    "attributes 496 levels deep": with_attributes(YES, {"interview": nested(496)}),
    "attributes 5000 levels deep": with_attributes(YES, {"deep": nested(5000)}),
    "attributes a list 600 levels deep": with_attributes(YES, {"x": json.loads("[" * 600 + "]" * 600)}),
    "attributes not an object": with_attributes(YES, ["a", "b"]),
    "interview of the wrong type": with_attributes(YES, {"interview": "everything"}),
    "repeat cache of the wrong type": with_attributes(YES, {"said": 7}),
    "attributes of 1 MB": with_attributes(YES, {"pad": ["y" * 8000] * 130}),
    "a 100 kB string": with_attributes(YES, {"pad": "z" * 100_000}),
    "slot value a number": with_slots({"duration": {"name": "duration", "value": 7}}),
    "slot value of 10 kB": with_slots({"duration": {"name": "duration", "value": "P" + "1" * 10_000 + "D"}}),
    "slots a list": with_slots(["duration"]),
    "1000 slots": with_slots({f"s{i}": {"name": f"s{i}", "value": "x"} for i in range(1000)}),
    "intent without a name": with_slots({}) | {"request": {**YES["request"], "intent": {"slots": {}}}},
    "session a string": LAUNCH | {"session": "s"},
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_lambda_answers_hostile_input_with_safe_words(name: str) -> None:
    event = HOSTILE[name]
    assert check_request(event) is not None
    reply = invoke(SKILL, event)
    speech = reply["response"]["outputSpeech"]["ssml"]
    assert speech.startswith("<speak>Sorry, something went wrong") and reply["response"]["shouldEndSession"] is False
    if name.startswith(("attributes", "interview", "repeat cache", "a 100 kB", "session")):
        assert "sessionAttributes" not in reply  # attributes out of bounds are not handed back
    else:  # the request was out of bounds, the session was not: handed back as it came, nothing lost
        assert reply["sessionAttributes"] == event["session"]["attributes"]


def test_a_refused_request_loses_no_emergency() -> None:
    """Found by the conversation fuzzer: an emergency affirmed, then a request with a 1,000-character slot value
    (refused at the edge), then "I don't know" -- the interview had started again and the advice was "today"."""
    conv = conversations.Conversation(skill=SKILL)
    conv.launch()
    conv.yes()
    assert conv.yes().speech.startswith("Call 911 now.")
    stray = {"stray": {"name": "stray", "value": "a" * 1000, "confirmationStatus": "NONE"}}
    assert conv.intent("AMAZON.CancelIntent", stray).speech.startswith("Sorry, something went wrong")
    assert conv.intent("DontKnowIntent").speech.startswith("Call 911 now.")


@pytest.fixture(scope="module")
def client() -> Any:
    return create_app(SKILL, verify=False, skill_id=None).test_client()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_webservice_answers_hostile_input_with_400(client: Any, name: str) -> None:
    response = client.post("/", data=json.dumps(HOSTILE[name]), content_type="application/json")
    assert response.status_code in (400, 413), response.data[:200]  # 413: over the 256 KiB body limit


def test_the_limit_is_the_depth_not_a_crash() -> None:
    assert check_request(with_attributes(YES, {"a": nested(MAX_DEPTH - 5)})) is None
    assert check_request(with_attributes(YES, {"a": nested(MAX_DEPTH)})) == "too_deep"


def test_real_conversations_stay_far_inside_the_bounds() -> None:
    """Every request of the patient stories and the vignettes (the longest interviews, with their session
    attributes) passes."""
    sent: list[dict[str, Any]] = []
    for case in [case for name in ("stories", "vignettes")
                 for case in conversations.load(ROOT / "tests" / "safety" / "conversations" / f"{name}.yaml")]:
        conv = conversations.Conversation(skill=SKILL, locale=case.get("locale", "en-US"))
        for step in case["steps"]:
            conversations.send(conv, step)
        sent += [turn.event for turn in conv.turns]
    assert len(sent) > 500
    assert [check_request(e) for e in sent] == [None] * len(sent)
    deepest = max(len(json.dumps(e.get("session", {}).get("attributes") or {})) for e in sent)
    assert deepest < 8 * 1024  # a tenth of the attributes limit


FORGED_SPEECH = [
    '<audio src="https://example.com/x.mp3"/>Call nobody.',
    "Unclosed <say-as interpret-as=\"digits\">911",
    "</speak><speak>Injected",
    "Fish & chips",
    '<prosody rate="x" onload="y">hi</prosody>',
    "a" * 8100,  # within the edge's string limit, over Alexa's speech limit
]


@pytest.mark.parametrize("forged", FORGED_SPEECH)
def test_repeat_never_speaks_a_forged_cache(forged: str) -> None:
    launch = invoke(SKILL, copy.deepcopy(LAUNCH))
    attributes = launch["sessionAttributes"] | {"said": {"speech": forged}}
    repeat = copy.deepcopy(YES)
    repeat["request"]["intent"] = {"name": "AMAZON.RepeatIntent", "confirmationStatus": "NONE", "slots": {}}
    reply = invoke(SKILL, with_attributes(repeat, attributes))
    speech = reply["response"]["outputSpeech"]["ssml"]
    assert forged not in speech and "audio" not in speech and "Injected" not in speech
    assert "bladder or bowels" in speech  # the open question, said again


def test_repeat_still_repeats_what_the_skill_said() -> None:
    launch = invoke(SKILL, copy.deepcopy(LAUNCH))
    repeat = copy.deepcopy(YES)
    repeat["request"]["intent"] = {"name": "AMAZON.RepeatIntent", "confirmationStatus": "NONE", "slots": {}}
    reply = invoke(SKILL, with_attributes(repeat, launch["sessionAttributes"]))
    assert reply["response"]["outputSpeech"]["ssml"] == launch["response"]["outputSpeech"]["ssml"]
    assert valid_cached_speech(launch["sessionAttributes"]["said"]["speech"])


@pytest.mark.parametrize("good", ['Call <say-as interpret-as="digits">911</say-as> now.', "Tom &amp; Jerry",
                                  'a <break time="300ms"/> b', '<prosody rate="85%">slow</prosody>'])
def test_the_cache_check_accepts_the_skill_s_own_ssml(good: str) -> None:
    assert valid_cached_speech(good)
