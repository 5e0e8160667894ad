"""Builds the one skill object shared by Lambda, the webservice, the simulator and the tests."""

from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return (
            handler_input.response_builder.speak("Welcome to back numbness helper.")
            .ask("Say help.")
            .response
        )


def build_skill():  # type: ignore[no-untyped-def]
    sb = CustomSkillBuilder()
    sb.add_request_handler(LaunchHandler())
    return sb
