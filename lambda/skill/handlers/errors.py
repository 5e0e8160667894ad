"""Requests that need no speech, anything unexpected, and the catch-all exception handler.

Nothing here ever logs a slot value, an answer, an id or the envelope: event names and error codes only.
"""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractExceptionHandler, AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import IntentRequest, Response, SessionEndedRequest

from skill import state as st
from skill.conversation import finish, red_flag_action
from skill.offers import continue_after
from skill.speech import Speech
from skill.turn import Turn

log = logging.getLogger(__name__)


class SessionEndedHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("SessionEndedRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        reason = error = None
        if isinstance(request, SessionEndedRequest):
            reason = request.reason.value if request.reason else None
            error = request.error.object_type.value if request.error and request.error.object_type else None
        log.info("session.ended reason=%s error=%s", reason, error)
        return handler_input.response_builder.response


class SystemExceptionHandler(AbstractRequestHandler):
    """System.ExceptionEncountered: Alexa reports an error in our last response; no speech allowed."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("System.ExceptionEncountered")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        log.warning("system.exception_encountered")
        return handler_input.response_builder.response


class UnknownRequestHandler(AbstractRequestHandler):
    """Last in line: an intent we don't know gets the fallback; other request types an empty answer."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        log.info("request.unhandled type=%s", getattr(request, "object_type", "unknown"))
        if isinstance(request, IntentRequest):
            return continue_after(handler_input, Speech(st.strings(handler_input)).say("fallback"), guide=True)
        return handler_input.response_builder.response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """Always answers with safe words (with the emergency advice if a red flag was heard), never a trace."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        log.error("skill.error code=%s", type(exception).__name__)
        t = st.strings(handler_input)
        try:
            action = red_flag_action(Turn.of(handler_input))
        except Exception:  # the state itself may be what failed
            action = None
        if action:
            speech = Speech(t).text(t["error_red_flag"].replace("{action}", action))
        else:
            speech = Speech(t).say("error").say("error_retry")
        return finish(handler_input, speech, Speech(t).say("error_retry"))
