"""Real Alexa request envelopes, sent through the real lambda_handler, one conversation at a time."""

from __future__ import annotations

import copy
import functools
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from skill import build_skill, invoke
from skill.speech import ssml_to_text
from tools import alexa_requests as requests

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER0000000000000000000000000000000000"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE000000000000000000000000000000000"
AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # requests are sent at a fixed time: dates in answers repeat
_counter = itertools.count()
_serializer = DefaultSerializer()


def slot_json(name: str, spec: Any) -> dict[str, Any]:
    """A slot as Alexa sends it, from the conversation files' short form: a raw value string (built-in types),
    {value, id} for ER_SUCCESS_MATCH, {value, no_match: true} for ER_SUCCESS_NO_MATCH, or None (missing)."""
    if spec is None or isinstance(spec, str):
        return requests.slot(name, spec)
    return requests.slot(name, spec["value"], spec.get("id"), no_match=bool(spec.get("no_match")),
                         resolved_name=spec.get("name"), skill_id=SKILL_ID)


def envelope(request: dict[str, Any], attributes: dict[str, Any] | None, new: bool, session_id: str,
             locale: str, user_id: str = USER_ID, person_id: str | None = None) -> dict[str, Any]:
    """The one request builder (tools.alexa_requests), at a fixed time so that dates in answers are repeatable."""
    request = {"requestId": requests.request_id(), "timestamp": requests.timestamp(AT), "locale": locale, **request}
    caller = requests.Caller(locale=locale, user_id=user_id, skill_id=SKILL_ID, device_id=DEVICE_ID,
                             person_id=person_id)
    return requests.envelope(request, caller, requests.Session(session_id, new, attributes or {}))


@dataclass
class Turn:
    raw: dict[str, Any]

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.raw.get("response") or {})

    @property
    def speech(self) -> str:
        return ssml_to_text((self.response.get("outputSpeech") or {}).get("ssml", ""))

    @property
    def ssml(self) -> str:
        return str((self.response.get("outputSpeech") or {}).get("ssml", ""))

    @property
    def reprompt(self) -> str:
        return ssml_to_text(((self.response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml", ""))

    @property
    def card(self) -> str:
        card = self.response.get("card") or {}
        return f"{card.get('title', '')}\n{card.get('content', '')}".strip()

    @property
    def ended(self) -> bool:
        return bool(self.response.get("shouldEndSession"))


@dataclass
class Conversation:
    """A session with a skill: carries session attributes like Alexa, starts new sessions on request."""

    skill: Any
    locale: str = "en-US"
    user_id: str = USER_ID
    person_id: str | None = None  # a speaker Alexa recognised (context.System.person)
    attributes: dict[str, Any] = field(default_factory=dict)
    new: bool = True
    session_id: str = "amzn1.echo-api.session.1"
    turns: list[Turn] = field(default_factory=list)
    transport: Any = None  # event -> reply; default: the skill in process, through skill.invoke as the Lambda does

    def send(self, request: dict[str, Any]) -> Turn:
        event = envelope(request, self.attributes, self.new, self.session_id, self.locale, self.user_id,
                         self.person_id)
        raw = (self.transport or (lambda e: invoke(self.skill, e)))(copy.deepcopy(event))
        # every response must deserialise as an ask_sdk_model ResponseEnvelope
        parsed = _serializer.deserialize(json.dumps(raw), ResponseEnvelope)
        assert isinstance(parsed, ResponseEnvelope)
        turn = Turn(raw)
        self.turns.append(turn)
        self.new = False
        self.attributes = raw.get("sessionAttributes") or {}
        if turn.ended or request["type"] == "SessionEndedRequest":
            self.end_session()
        return turn

    def end_session(self) -> None:
        self.attributes = {}
        self.new = True
        self.session_id = f"amzn1.echo-api.session.{next(_counter)}"

    def launch(self) -> Turn:
        return self.send(requests.launch(self.locale, at=AT))

    def intent(self, name: str, slots: dict[str, Any] | None = None) -> Turn:
        slot_map = {k: slot_json(k, v) for k, v in (slots or {}).items()}
        return self.send(requests.intent(name, slot_map, self.locale, "STARTED" if self.new else "IN_PROGRESS",
                                         at=AT))

    def hear(self, words: str) -> Turn:
        """Words, understood by the local NLU over the generated model (tools.nlu), sent as Alexa would."""
        understood = _nlu(self.locale).understand(words)
        if understood.new_session and not self.new:
            self.end_session()
        if understood.request_type == "LaunchRequest":
            return self.launch()
        if understood.request_type == "SessionEndedRequest":
            return self.session_ended(understood.reason or "USER_INITIATED")
        dialog_state = "STARTED" if self.new else "IN_PROGRESS"
        name = understood.intent or "AMAZON.FallbackIntent"
        return self.send(requests.intent(name, understood.slots, self.locale, dialog_state, at=AT))

    def yes(self) -> Turn:
        return self.intent("AMAZON.YesIntent")

    def no(self) -> Turn:
        return self.intent("AMAZON.NoIntent")

    def session_ended(self, reason: str = "USER_INITIATED", error: dict[str, str] | None = None) -> Turn:
        return self.send(requests.session_ended(reason, self.locale, error, at=AT))


@functools.cache
def _nlu(locale: str) -> Any:
    from tools.nlu import LocalNlu

    return LocalNlu.for_locale(locale, skill_id=SKILL_ID)


@pytest.fixture
def skill():
    return build_skill()


@pytest.fixture
def conversation(skill):
    def make(locale: str = "en-US", **kwargs: Any) -> Conversation:
        return Conversation(skill=skill, locale=locale, **kwargs)
    return make


@pytest.fixture
def store(tmp_path):
    """The embedded SQLite store the simulator and the webservice use, in a temporary file."""
    from hosting.sqlite_persistence import SqlitePersistenceAdapter

    adapter = SqlitePersistenceAdapter(path=tmp_path / "skill.sqlite3")
    yield adapter
    adapter.close()


@pytest.fixture
def talk(store):
    """Conversations of one user with a skill that remembers (a new Conversation = a new session)."""
    skill = build_skill(persistence_adapter=store)
    return lambda: Conversation(skill=skill)


def webservice_transport(skill: Any) -> Any:
    """The same skill behind the self-hosted webservice (verification off), as a transport for Conversation."""
    from hosting.webservice import create_app

    client = create_app(skill, verify=False, skill_id=None).test_client()

    def send(event: dict[str, Any]) -> dict[str, Any]:
        resp = client.post("/", data=json.dumps(event), content_type="application/json")
        assert resp.status_code == 200, resp.get_data(as_text=True)
        reply: dict[str, Any] = resp.get_json()
        return reply

    return send


@pytest.fixture(params=["lambda", "webservice"])
def talk_anywhere(store, request):
    """Like ``talk``, through the Lambda's entry or through the webservice."""
    skill = build_skill(persistence_adapter=store)
    transport = webservice_transport(skill) if request.param == "webservice" else None
    return lambda: Conversation(skill=skill, transport=transport)
