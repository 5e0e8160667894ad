"""Requests that need no speech, anything unexpected, and the catch-all exception handler.

Nothing here ever logs a slot value, an answer, an id or the envelope: event names and error codes only.
"""

from __future__ import annotations

import logging
import traceback

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

# Top-level packages and modules of the project's own code (lambda/): where an error is reported.
OWN_CODE = frozenset({"skill", "triage", "lambda_function"})


def error_location(exception: BaseException) -> tuple[str, str | None]:
    """Where an exception happened, as ``module:line`` only (never its message or any value, which can carry what
    the person said): the innermost frame of the project's own code, and the innermost frame of all when that is
    elsewhere (a library the code called), else None. "unknown" when the traceback has no frame at all."""
    own = innermost = None
    for frame, line in traceback.walk_tb(exception.__traceback__):
        module = str(frame.f_globals.get("__name__", "?"))
        innermost = f"{module}:{line}"
        if module.partition(".")[0] in OWN_CODE:
            own = innermost
    if own is None:
        return innermost or "unknown", None
    return own, None if innermost == own else innermost


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
    """Always answers with safe words (with the emergency advice if a red flag was heard), never a trace. Logs the
    exception's type and where it happened (module and line), never its message."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        where, raised_in = error_location(exception)
        if raised_in:
            log.error("skill.error code=%s where=%s raised_in=%s", type(exception).__name__, where, raised_in)
        else:
            log.error("skill.error code=%s where=%s", type(exception).__name__, where)
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
