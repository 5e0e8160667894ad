"""Real Alexa request envelopes, sent through the real lambda_handler, one conversation at a time."""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope

from skill import build_skill, invoke
from skill.speech import ssml_to_text

SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.TESTUSER0000000000000000000000000000000000"
DEVICE_ID = "amzn1.ask.device.TESTDEVICE000000000000000000000000000000000"
_counter = itertools.count()
_serializer = DefaultSerializer()


def slot_json(name: str, spec: Any) -> dict[str, Any]:
    """A slot as Alexa sends it. spec: a raw value string (built-in types), or
    {value, id} for ER_SUCCESS_MATCH, or {value, no_match: true} for ER_SUCCESS_NO_MATCH, or None (missing)."""
    if spec is None:
        return {"name": name, "confirmationStatus": "NONE"}
    if isinstance(spec, str):
        return {"name": name, "value": spec, "confirmationStatus": "NONE"}
    authority = f"amzn1.er-authority.echo-sdk.{SKILL_ID}.{name}"
    if spec.get("no_match"):
        resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
    else:
        resolution = {
            "authority": authority,
            "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": spec.get("name", spec["value"]), "id": spec["id"]}}],
        }
    return {
        "name": name,
        "value": spec["value"],
        "confirmationStatus": "NONE",
        "source": "USER",
        "resolutions": {"resolutionsPerAuthority": [resolution]},
    }


def envelope(request: dict[str, Any], attributes: dict[str, Any] | None, new: bool, session_id: str,
             locale: str, user_id: str = USER_ID) -> dict[str, Any]:
    n = next(_counter)
    request = {
        "requestId": f"amzn1.echo-api.request.{uuid.UUID(int=n)}",
        "timestamp": "2026-11-24T12:00:00Z",
        "locale": locale,
        **request,
    }
    application = {"applicationId": SKILL_ID}
    user = {"userId": user_id}
    return {
        "version": "1.0",
        "session": {"new": new, "sessionId": session_id, "application": application,
                    "attributes": attributes or {}, "user": user},
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": DEVICE_ID, "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
                "apiAccessToken": "TEST.ACCESS.TOKEN.SECRET",
            },
            "Viewport": None,
        },
        "request": request,
    }


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
    attributes: dict[str, Any] = field(default_factory=dict)
    new: bool = True
    session_id: str = "amzn1.echo-api.session.1"
    turns: list[Turn] = field(default_factory=list)

    def send(self, request: dict[str, Any]) -> Turn:
        event = envelope(request, self.attributes, self.new, self.session_id, self.locale, self.user_id)
        raw = invoke(self.skill, copy.deepcopy(event))
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
        return self.send({"type": "LaunchRequest"})

    def intent(self, name: str, slots: dict[str, Any] | None = None) -> Turn:
        slot_map = {k: slot_json(k, v) for k, v in (slots or {}).items()}
        return self.send({
            "type": "IntentRequest",
            "dialogState": "STARTED" if self.new else "IN_PROGRESS",
            "intent": {"name": name, "confirmationStatus": "NONE", "slots": slot_map},
        })

    def yes(self) -> Turn:
        return self.intent("AMAZON.YesIntent")

    def no(self) -> Turn:
        return self.intent("AMAZON.NoIntent")

    def session_ended(self, reason: str = "USER_INITIATED", error: dict[str, str] | None = None) -> Turn:
        request: dict[str, Any] = {"type": "SessionEndedRequest", "reason": reason}
        if error:
            request["error"] = error
        return self.send(request)


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
