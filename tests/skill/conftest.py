"""Real Alexa request envelopes, sent through the real lambda_handler, one conversation at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from skill import build_skill
from tests.conversations import (  # noqa: F401 (re-exported for the tests of this folder)
    AT,
    DEVICE_ID,
    SKILL_ID,
    USER_ID,
    Conversation,
    Turn,
    envelope,
    slot_json,
)


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
