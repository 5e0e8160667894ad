"""Settings: speech rate, and deleting what the skill keeps."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import is_intent_name
from ask_sdk_model import Response

from skill import state as st
from skill.conversation import continue_after
from skill.slots import resolved_id
from skill.speech import Speech

log = logging.getLogger(__name__)


class SpeechRateHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("SpeechRateIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        t = st.strings(handler_input)
        rate = resolved_id(handler_input, "rate")
        attrs = st.session(handler_input)
        if rate in ("slower", "faster"):
            attrs["rate"] = rate
        elif rate == "normal":
            attrs.pop("rate", None)
        else:
            return continue_after(handler_input, Speech(t).say("rate_unknown"), info=True)
        return continue_after(handler_input, Speech(t).say(f"rate_{rate}"), info=True)


class DeleteDataHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("DeleteDataIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        st.set_pending(handler_input, "delete")
        return continue_after(handler_input, Speech(st.strings(handler_input)))


def delete_data(handler_input: HandlerInput) -> Response:
    """Delete the stored record, and store nothing more in this session."""
    t = st.strings(handler_input)
    attrs = st.session(handler_input)
    st.set_pending(handler_input, None)
    for key in ("stored", "last_stored", "kept"):
        attrs.pop(key, None)
    attrs["no_store"] = True
    if handler_input.attributes_manager.request_attributes.get("persist"):
        try:
            handler_input.attributes_manager.delete_persistent_attributes()
        except Exception as exc:  # the store may be down: say so, lose nothing else
            log.error("persistence.delete_failed code=%s", type(exc).__name__)
            return continue_after(handler_input, Speech(t).say("delete_failed"), info=True)
    log.info("persistence.deleted")
    return continue_after(handler_input, Speech(t).say("deleted"), info=True)
