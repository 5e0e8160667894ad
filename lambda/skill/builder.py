"""Builds the one skill object shared by Lambda, the webservice, the simulator and the tests."""

from __future__ import annotations

import json
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import RequestEnvelope, Response


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return (
            handler_input.response_builder.speak("Welcome to back numbness helper.")
            .ask("Say help.")
            .response
        )


def build_skill(
    persistence_adapter: AbstractPersistenceAdapter | None = None, skill_id: str | None = None
) -> CustomSkill:
    """The skill: handlers, interceptors, and an optional persistence adapter (None = session only)."""
    sb = CustomSkillBuilder(persistence_adapter=persistence_adapter)
    sb.skill_id = skill_id
    sb.add_request_handler(LaunchHandler())
    return sb.create()


def invoke(skill: CustomSkill, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run one Alexa request (a JSON dict) through the skill, as Lambda does."""
    envelope = skill.serializer.deserialize(payload=json.dumps(event), obj_type=RequestEnvelope)
    response = skill.invoke(request_envelope=envelope, context=context)
    return dict(skill.serializer.serialize(response))
