"""Constants and a request envelope shared by the persistence tests."""

from __future__ import annotations

import json
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from tools import alexa_requests as requests

USER_A = "amzn1.ask.account.AFAKEUSERAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1"
USER_B = "amzn1.ask.account.AFAKEUSERBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2"
TABLE = "skill-test-table"
NOW = 1_795_000_000.0  # a fixed "now" (2026-11-18), so TTL arithmetic is exact


def envelope(user_id: str = USER_A) -> RequestEnvelope:
    """A LaunchRequest of this user, from the one request builder (tools.alexa_requests), as the SDK reads it."""
    caller = requests.Caller(user_id=user_id, skill_id="amzn1.ask.skill.11111111-2222-3333-4444-555555555555")
    event = requests.envelope(requests.launch(), caller, requests.Session("amzn1.echo-api.session.x"))
    return DefaultSerializer().deserialize(json.dumps(event), RequestEnvelope)


def owner_of_event(event: dict[str, Any]) -> str:
    """The record key for an event: the recognised person, else the account."""
    system = event["context"]["System"]
    return str((system.get("person") or {}).get("personId") or system["user"]["userId"])


def interviews(item: dict[str, Any]) -> dict[str, Any]:
    """The unfinished interviews of a stored DynamoDB item, by device hash."""
    return {k.removeprefix("v.interview."): v for k, v in item.items() if k.startswith("v.interview.")}
