"""Reading slots the ASK way: resolved ids from entity resolution, built-in values as sent."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import get_slot
from ask_sdk_model.slu.entityresolution import StatusCode


def resolved_id(handler_input: HandlerInput, name: str) -> str | None:
    """The slot's resolved value id (ER_SUCCESS_MATCH), or None when missing or unmatched."""
    try:
        slot = get_slot(handler_input, name)
    except (TypeError, AttributeError):
        return None
    resolutions = getattr(slot, "resolutions", None) if slot else None
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        status = getattr(authority.status, "code", None)
        if status == StatusCode.ER_SUCCESS_MATCH and authority.values:
            value_id = authority.values[0].value.id
            return str(value_id) if value_id else None
    return None


def raw_value(handler_input: HandlerInput, name: str) -> str | None:
    try:
        slot = get_slot(handler_input, name)
    except (TypeError, AttributeError):
        return None
    value = getattr(slot, "value", None) if slot else None
    return value if isinstance(value, str) and value.strip() else None
