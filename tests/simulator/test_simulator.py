"""Envelopes, rendering, the conversation loop, script mode, and the real skill end to end."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import IntentRequest, LaunchRequest, RequestEnvelope, SessionEndedRequest

from tests.checkout import child_env
from tools import simulator as sim
from tools.nlu import LocalNlu

ROOT = Path(__file__).resolve().parents[2]
NLU = LocalNlu.for_locale("en-US")


def deserialise(event: dict[str, Any]) -> RequestEnvelope:
    envelope = DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)
    assert isinstance(envelope, RequestEnvelope)
    return envelope


def ssml(text: str) -> dict[str, str]:
    return {"type": "SSML", "ssml": f"<speak>{text}</speak>"}


class FakeSkill:
    """Records envelopes; answers with a question, its reprompt and a counter in the session attributes."""

    def __init__(self, end_on: str = "AMAZON.StopIntent") -> None:
        self.events: list[dict[str, Any]] = []
        self.end_on = end_on

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        deserialise(event)
        self.events.append(event)
        request = event["request"]
        turns = int(event["session"]["attributes"].get("turns", 0)) + 1
        ends = request.get("intent", {}).get("name") == self.end_on
        return {
            "version": "1.0",
            "sessionAttributes": {"turns": turns},
            "response": {
                "outputSpeech": ssml(f"Turn {turns} &amp; <break time='1s'/>counting."),
                "reprompt": {"outputSpeech": ssml("Say yes or no.")},
                "card": {"type": "Simple", "title": "Summary", "content": "Body text"},
                "shouldEndSession": ends,
            },
        }


def make(transport: sim.Transport) -> sim.Simulator:
    return sim.Simulator(NLU, transport, sim.Device())


# -- envelopes --------------------------------------------------------------------------------------------------
def test_envelopes_deserialise_as_ask_sdk_request_envelopes() -> None:
    session = sim.Session()
    device = sim.Device(locale="en-GB", user_id="amzn1.ask.account.TEST", skill_id="amzn1.ask.skill.test")
    launch = deserialise(sim.envelope(sim.launch_request("en-GB"), session, device))
    assert isinstance(launch.request, LaunchRequest)
    assert launch.version == "1.0"
    assert launch.session.new is True
    assert launch.session.application.application_id == "amzn1.ask.skill.test"
    assert launch.context.system.user.user_id == "amzn1.ask.account.TEST"
    assert launch.context.system.api_endpoint == "https://api.eu.amazonalexa.com"
    assert launch.context.system.api_access_token
    assert launch.context.system.device.supported_interfaces is not None
    assert launch.request.timestamp.tzinfo is not None

    understanding = NLU.understand("about two weeks")
    intent = deserialise(sim.envelope(sim.intent_request("en-GB", understanding, "COMPLETED"), session, device))
    assert isinstance(intent.request, IntentRequest)
    assert intent.request.locale == "en-GB"
    assert intent.request.dialog_state.value == "COMPLETED"
    assert intent.request.intent.name == "DurationIntent"
    assert intent.request.intent.slots["duration"].value == "P2W"

    understanding = NLU.understand("what is spinal stenosis")
    intent = deserialise(sim.envelope(sim.intent_request("en-GB", understanding, "COMPLETED"), session, device))
    per_authority = intent.request.intent.slots["cause"].resolutions.resolutions_per_authority[0]
    assert per_authority.status.code.value == "ER_SUCCESS_MATCH"
    assert per_authority.values[0].value.id == "spinal_stenosis"

    ended = deserialise(sim.envelope(sim.session_ended_request("en-GB", "EXCEEDED_MAX_REPROMPTS"), session, device))
    assert isinstance(ended.request, SessionEndedRequest)
    assert ended.request.reason.value == "EXCEEDED_MAX_REPROMPTS"


def test_ssml_is_rendered_as_plain_text() -> None:
    text = sim.ssml_to_text(
        '<speak>Call <say-as interpret-as="digits">911</say-as> now .<break/> Tom &amp; Jerry</speak>'
    )
    assert text == "Call 911 now. Tom & Jerry"


def test_render_speech_reprompt_and_card() -> None:
    lines = sim.render(
        {
            "outputSpeech": {"type": "PlainText", "text": "Hello."},
            "reprompt": {"outputSpeech": ssml("Again?")},
            "card": {"type": "Standard", "title": "Title", "text": "Text"},
        }
    )
    assert lines == ["Alexa: Hello.", "(reprompt) Again?", "[card] Title: Text"]


# -- the conversation loop ----------------------------------------------------------------------------------------
def test_session_attributes_are_carried_and_new_is_only_first() -> None:
    skill = FakeSkill()
    s = make(skill)
    assert s.hear("open back numbness helper")[0].startswith("Alexa: Turn 1 & counting.")
    s.hear("yes")
    s.hear("about two weeks")
    assert [e["session"]["new"] for e in skill.events] == [True, False, False]
    assert [e["session"]["attributes"] for e in skill.events] == [{}, {"turns": 1}, {"turns": 2}]
    assert len({e["session"]["sessionId"] for e in skill.events}) == 1
    assert skill.events[1]["request"]["dialogState"] == "COMPLETED"
    assert s.hear("stop")[-1] == "(session ended)"
    assert s.session is None


def test_silence_reprompts_once_then_ends_the_session() -> None:
    skill = FakeSkill()
    s = make(skill)
    s.hear("open back numbness helper")
    assert s.hear("") == ["Alexa: Say yes or no."]
    assert len(skill.events) == 1  # a reprompt is played by the device, the skill is not called
    assert s.hear("   ") == ["(session ended)"]
    assert skill.events[-1]["request"]["type"] == "SessionEndedRequest"
    assert skill.events[-1]["request"]["reason"] == "EXCEEDED_MAX_REPROMPTS"
    assert s.hear("") == []


def test_exit_sends_user_initiated() -> None:
    skill = FakeSkill()
    s = make(skill)
    s.hear("open back numbness helper")
    assert s.hear("exit") == ["(session ended)"]
    assert skill.events[-1]["request"]["reason"] == "USER_INITIATED"


def test_an_utterance_without_a_session_starts_one_as_a_one_shot() -> None:
    skill = FakeSkill()
    lines = make(skill).hear("what is spinal stenosis")
    assert lines[0].startswith("(no open session")
    assert lines[1] == "[intent] ExplainCauseIntent (cause=spinal stenosis -> spinal_stenosis)"
    assert skill.events[0]["session"]["new"] is True
    assert skill.events[0]["request"]["intent"]["name"] == "ExplainCauseIntent"


def test_a_failing_skill_sounds_like_a_device_and_ends_the_session() -> None:
    def broken(event: dict[str, Any]) -> dict[str, Any]:
        raise sim.SkillCallError("boom")

    s = make(broken)
    lines = s.hear("open back numbness helper")
    assert lines == [f"Alexa: {sim.SKILL_PROBLEM}", "[error] boom", "(session ended)"]
    assert s.session is None


def test_json_flag_prints_both_envelopes() -> None:
    s = sim.Simulator(NLU, FakeSkill(), sim.Device(), show_json=True)
    lines = s.hear("open back numbness helper")
    assert lines[0] == "--- request"
    assert json.loads(lines[1])["request"]["type"] == "LaunchRequest"
    assert lines[2] == "--- response"
    assert "sessionAttributes" in json.loads(lines[3])


def test_speak_is_quiet_without_espeak(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim.shutil, "which", lambda name: None)
    speaker = sim.Speaker(enabled=True, locale="en-US")
    assert speaker.program is None
    speaker.speak(ssml("Hello"))  # nothing happens, nothing raised


def test_script_mode_skips_comments_and_keeps_silence() -> None:
    out = io.StringIO()
    sim.run_script(make(FakeSkill()), io.StringIO("# a comment\n\nopen back numbness helper\n\n\n"), out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "> open back numbness helper"
    assert "> (silence)" in lines
    assert lines[-1] == "(session ended)"
    assert not any("comment" in line for line in lines)


# -- through the real skill ---------------------------------------------------------------------------------------
def transcript(script: str, *args: str) -> str:
    out = io.StringIO()
    assert sim.main(["--no-persist", *args], stdin=io.StringIO(script), stdout=out) == 0
    return out.getvalue()


def test_script_from_stdin_through_the_real_skill_in_process() -> None:
    text = transcript("open back numbness helper\n")
    assert text.startswith("> open back numbness helper\nAlexa: ")
    assert "[error]" not in text


def test_subprocess_reads_stdin_and_exits_zero(tmp_path: Path) -> None:
    db = tmp_path / "skill.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "tools.simulator", "--db", str(db), "--locale", "en-GB"],
        input="# bug report\nopen back numbness helper\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("> open back numbness helper\nAlexa: ")


def test_script_file_option(tmp_path: Path) -> None:
    script = tmp_path / "conversation.txt"
    script.write_text("open back numbness helper\n", encoding="utf-8")
    assert "Alexa: " in transcript("", "--script", str(script))


# What the skill says is tested by the conversation files (tests/*/conversations/*.yaml); these check that the
# simulator's options reach the skill.
@pytest.mark.parametrize(("locale", "number"), [("en-US", "911"), ("en-GB", "999"), ("en-AU", "000")])
def test_the_locale_option_reaches_the_skill(locale: str, number: str) -> None:
    text = transcript("open back numbness helper\nyes\nyes it is\n", "--locale", locale)
    check, answer = text.split("> yes\n", 1)[1].split("> yes it is\n", 1)
    said = check.split("Alexa: ", 1)[1]
    assert said.startswith(f"Call {number} now if this is new.") and "new, or worse" in said  # acted on at once
    assert f"Call {number} now." in answer  # yes, it is new: the emergency instruction


# -- over HTTP --------------------------------------------------------------------------------------------------
@pytest.fixture
def webservice_url() -> Iterator[str]:
    from werkzeug.serving import make_server

    from hosting.webservice import create_app
    from skill import build_skill  # lambda/ is on pytest's pythonpath

    server = make_server("127.0.0.1", 0, create_app(build_skill(), verify=False))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_url_posts_envelopes_to_the_webservice(webservice_url: str) -> None:
    text = transcript("open back numbness helper\n", "--url", webservice_url)
    assert text.startswith("> open back numbness helper\nAlexa: ")
    assert "[error]" not in text


def test_unreachable_url_is_a_skill_problem_not_a_crash() -> None:
    text = transcript("open back numbness helper\n", "--url", "http://127.0.0.1:9/")
    assert sim.SKILL_PROBLEM in text
    assert "[error] cannot reach" in text


def test_default_persistence_keeps_the_user_across_runs(tmp_path: Path) -> None:
    from hosting.sqlite_persistence import SqlitePersistenceAdapter

    db = tmp_path / "skill.sqlite3"
    out = io.StringIO()
    script = io.StringIO("open back numbness helper\nremember me\nyes\n")
    assert sim.main(["--db", str(db), "--user-id", "amzn1.ask.account.PERSIST"], stdin=script, stdout=out) == 0
    store = SqlitePersistenceAdapter(db)
    try:
        assert store.count() == 1
    finally:
        store.close()
