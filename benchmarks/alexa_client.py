"""A stand-in for the Alexa service, for the reliability harness and tests: builds real request envelopes for one
speaker (account, optional recognised person, device), carries session attributes within a session like Alexa,
and sends them through a transport (``lambda_handler`` in process, or HTTP POST to the webservice)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

SKILL_ID = "amzn1.ask.skill.5f0c7a2e-3b1d-4c6e-9a8f-2d4b6e8c0a1f"
Transport = Callable[[dict[str, Any]], dict[str, Any]]


def lambda_transport(handler: Callable[[dict[str, Any], Any], dict[str, Any]], budget_ms: int = 7000) -> Transport:
    """Call a Lambda handler with a real Lambda context object (awslambdaric's) whose deadline is ``budget_ms``
    from now, as the Lambda runtime does."""
    from awslambdaric.lambda_context import LambdaContext

    def send(event: dict[str, Any]) -> dict[str, Any]:
        deadline = int(time.time() * 1000) + budget_ms
        context = LambdaContext(str(uuid.uuid4()), None, None, deadline, "arn:aws:lambda:us-east-1:0:function:f")
        return handler(event, context)

    return send


def http_transport(url: str, timeout: float = 30) -> Transport:
    def send(event: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(event).encode()
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                reply: dict[str, Any] = json.loads(resp.read())
                return reply
        except urllib.error.HTTPError as exc:
            return {"http_status": exc.code}

    return send


def slot(name: str, value: str, resolved_id: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "value": value, "confirmationStatus": "NONE"}
    if resolved_id:
        spec["resolutions"] = {"resolutionsPerAuthority": [{
            "authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.{name}", "status": {"code": "ER_SUCCESS_MATCH"},
            "values": [{"value": {"name": value, "id": resolved_id}}]}]}
    return spec


class Speaker:
    """One person at one device: ``launch()``, ``intent()``, ``end()``; ``said`` is the last speech (SSML)."""

    def __init__(self, transport: Transport, user_id: str, device_id: str, person_id: str | None = None,
                 locale: str = "en-US") -> None:
        self.transport = transport
        self.user_id, self.device_id, self.person_id, self.locale = user_id, device_id, person_id, locale
        self.session_id = ""
        self.attributes: dict[str, Any] = {}
        self.new = True
        self.ended = True
        self.said = ""
        self.last_reply: dict[str, Any] = {}

    def event(self, request: dict[str, Any]) -> dict[str, Any]:
        app = {"applicationId": SKILL_ID}
        system: dict[str, Any] = {
            "application": app, "user": {"userId": self.user_id},
            "device": {"deviceId": self.device_id, "supportedInterfaces": {}},
            "apiEndpoint": "https://api.amazonalexa.com", "apiAccessToken": "token",
        }
        user: dict[str, Any] = {"userId": self.user_id}
        if self.person_id:
            system["person"] = {"personId": self.person_id}
        return {
            "version": "1.0",
            "session": {"new": self.new, "sessionId": self.session_id, "application": app, "user": user,
                        "attributes": self.attributes},
            "context": {"System": system},
            "request": {"requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "locale": self.locale,
                        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **request},
        }

    def send(self, request: dict[str, Any]) -> str:
        reply = self.transport(self.event(request))
        self.last_reply = reply
        self.new = False
        response = reply.get("response") or {}
        self.attributes = reply.get("sessionAttributes") or {}
        self.ended = bool(response.get("shouldEndSession")) or request["type"] == "SessionEndedRequest"
        self.said = str((response.get("outputSpeech") or {}).get("ssml", ""))
        return self.said

    def launch(self) -> str:
        self.session_id = f"amzn1.echo-api.session.{uuid.uuid4()}"
        self.attributes, self.new = {}, True
        return self.send({"type": "LaunchRequest"})

    def intent(self, name: str, slots: dict[str, Any] | None = None) -> str:
        if self.ended:
            raise RuntimeError("no open session")
        return self.send({"type": "IntentRequest", "dialogState": "STARTED",
                          "intent": {"name": name, "confirmationStatus": "NONE", "slots": slots or {}}})

    def yes(self) -> str:
        return self.intent("AMAZON.YesIntent")

    def no(self) -> str:
        return self.intent("AMAZON.NoIntent")

    def end(self, reason: str = "EXCEEDED_MAX_REPROMPTS") -> None:
        """Alexa closes the session (two silent reprompts by default)."""
        if not self.ended:
            self.send({"type": "SessionEndedRequest", "reason": reason})
