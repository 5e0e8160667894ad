"""Constants and a request envelope shared by the persistence tests."""

from __future__ import annotations

import json
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

USER_A = "amzn1.ask.account.AFAKEUSERAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1"
USER_B = "amzn1.ask.account.AFAKEUSERBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2"
TABLE = "skill-test-table"
NOW = 1_795_000_000.0  # a fixed "now" (2026-11-18), so TTL arithmetic is exact


def envelope(user_id: str = USER_A) -> RequestEnvelope:
    app = {"applicationId": "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"}
    event: dict[str, Any] = {
        "version": "1.0",
        "session": {"new": True, "sessionId": "amzn1.echo-api.session.x", "application": app,
                    "user": {"userId": user_id}},
        "context": {"System": {"application": app, "user": {"userId": user_id}}},
        "request": {"type": "LaunchRequest", "requestId": "amzn1.echo-api.request.x",
                    "timestamp": "2026-11-24T00:00:00Z", "locale": "en-US"},
    }
    return DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)


def owner_of_event(event: dict[str, Any]) -> str:
    """The record key for an event: the recognised person, else the account."""
    system = event["context"]["System"]
    return str((system.get("person") or {}).get("personId") or system["user"]["userId"])


def interviews(item: dict[str, Any]) -> dict[str, Any]:
    """The unfinished interviews of a stored DynamoDB item, by device hash."""
    return {k.removeprefix("v.interview."): v for k, v in item.items() if k.startswith("v.interview.")}
