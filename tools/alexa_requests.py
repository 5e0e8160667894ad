"""The one builder of Alexa request envelopes for every local driver: the simulator, the tests, the benchmarks and
the reliability harness. Envelopes are shaped as Alexa sends them today (version 1.0):

    session   new, sessionId, application, user, attributes   (absent for sessionless requests)
    context   System: application, user, device, person (only when a speaker is recognised), apiEndpoint,
              apiAccessToken
    request   type, requestId, timestamp, locale, and the type's own fields

    caller = Caller(locale="en-GB", person_id="amzn1.ask.person.X")
    envelope(intent("AMAZON.YesIntent", locale=caller.locale), caller, Session(new=False, attributes=...))

A new request field or context member is one change here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

DEFAULT_SKILL_ID: Final = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
DEFAULT_USER_ID: Final = "amzn1.ask.account.SIMULATOR-LOCAL-USER"
DEFAULT_DEVICE_ID: Final = "amzn1.ask.device.SIMULATOR-LOCAL-DEVICE"
API_TOKEN: Final = "local.api-access-token"  # noqa: S105  (a stand-in: nothing here calls Alexa's APIs)
API_ENDPOINTS: Final = {
    "en-US": "https://api.amazonalexa.com",
    "en-CA": "https://api.amazonalexa.com",
    "en-GB": "https://api.eu.amazonalexa.com",
    "en-IN": "https://api.eu.amazonalexa.com",
    "en-AU": "https://api.fe.amazonalexa.com",
}


@dataclass(frozen=True)
class Caller:
    """Who is talking, to which skill, from which device: the account, and the person if Alexa recognised them."""

    locale: str = "en-US"
    user_id: str = DEFAULT_USER_ID
    skill_id: str = DEFAULT_SKILL_ID
    device_id: str = DEFAULT_DEVICE_ID
    person_id: str | None = None


@dataclass
class Session:
    """One open skill session, as Alexa keeps it between turns."""

    session_id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    new: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)


def request_id() -> str:
    return f"amzn1.echo-api.request.{uuid.uuid4()}"


def timestamp(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _request(kind: str, locale: str, at: datetime | None, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "requestId": request_id(), "timestamp": timestamp(at), "locale": locale, **fields}


def launch(locale: str = "en-US", at: datetime | None = None) -> dict[str, Any]:
    return _request("LaunchRequest", locale, at)


def intent(name: str, slots: Mapping[str, dict[str, Any]] | None = None, locale: str = "en-US",
           dialog_state: str = "IN_PROGRESS", at: datetime | None = None) -> dict[str, Any]:
    """An IntentRequest; ``slots`` maps a slot name to its Alexa slot object (see ``slot``)."""
    body = {"name": name, "confirmationStatus": "NONE", "slots": dict(slots or {})}
    return _request("IntentRequest", locale, at, dialogState=dialog_state, intent=body)


def session_ended(reason: str = "USER_INITIATED", locale: str = "en-US", error: Mapping[str, str] | None = None,
                  at: datetime | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {"reason": reason}
    if error is not None:
        extra["error"] = dict(error)
    elif reason == "ERROR":
        extra["error"] = {"type": "INVALID_RESPONSE", "message": "The skill response was not valid"}
    return _request("SessionEndedRequest", locale, at, **extra)


def slot(name: str, value: str | None = None, resolved_id: str | None = None, *, no_match: bool = False,
         resolved_name: str | None = None, skill_id: str = DEFAULT_SKILL_ID) -> dict[str, Any]:
    """A slot as Alexa sends it: no value (not filled); a raw value (built-in types such as AMAZON.DURATION); a
    custom-type value that resolved (``resolved_id``: ER_SUCCESS_MATCH) or did not (``no_match``)."""
    if value is None:
        return {"name": name, "confirmationStatus": "NONE"}
    out: dict[str, Any] = {"name": name, "value": value, "confirmationStatus": "NONE"}
    if resolved_id is None and not no_match:
        return out
    authority = f"amzn1.er-authority.echo-sdk.{skill_id}.{name}"
    if no_match:
        resolution: dict[str, Any] = {"authority": authority, "status": {"code": "ER_SUCCESS_NO_MATCH"}}
    else:
        resolution = {"authority": authority, "status": {"code": "ER_SUCCESS_MATCH"},
                      "values": [{"value": {"name": resolved_name or value, "id": resolved_id}}]}
    return {**out, "source": "USER", "resolutions": {"resolutionsPerAuthority": [resolution]}}


def resolved_ids(slot: dict[str, Any] | None) -> list[str]:
    """The value ids a slot resolved to (ER_SUCCESS_MATCH), as built by ``slot`` or sent by Alexa; [] if none."""
    for authority in ((slot or {}).get("resolutions") or {}).get("resolutionsPerAuthority") or []:
        if (authority.get("status") or {}).get("code") == "ER_SUCCESS_MATCH" and authority.get("values"):
            return [str(v["value"]["id"]) for v in authority["values"]]
    return []


def envelope(request: dict[str, Any], caller: Caller, session: Session | None = None) -> dict[str, Any]:
    """A version 1.0 request envelope around one request; ``session`` None makes it sessionless."""
    application = {"applicationId": caller.skill_id}
    user = {"userId": caller.user_id}
    system: dict[str, Any] = {
        "application": application,
        "user": user,
        "device": {"deviceId": caller.device_id, "supportedInterfaces": {}},
        "apiEndpoint": API_ENDPOINTS.get(caller.locale, API_ENDPOINTS["en-US"]),
        "apiAccessToken": API_TOKEN,
    }
    if caller.person_id is not None:
        system["person"] = {"personId": caller.person_id, "personAccessToken": API_TOKEN}
    doc: dict[str, Any] = {"version": "1.0", "context": {"System": system}, "request": request}
    if session is not None:
        doc["session"] = {"new": session.new, "sessionId": session.session_id, "application": application,
                          "attributes": session.attributes, "user": user}
    return doc
