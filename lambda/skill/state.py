"""Where the skill keeps things between turns. Session attributes hold plain JSON codes only:

    interview  the triage state (triage.engine), or absent before launch
    rate       speech rate: "slower" | "faster" | absent (normal)
    pending    a yes/no offer waiting for an answer: "resume" | "delete" | "result" | "emergency" | absent
    said       the repeat cache: {"speech": ssml, "reprompt": ssml}
    stored     the interview found in persistence at launch, until the person says whether to resume it
    owner, stored_fp, stamp, renewed, kept
               bookkeeping of the Load/Save interceptors (a hash of the record's key, a digest per stored field,
               the last write stamp): see skill.interceptors and skill.persistence

Persistent records (one per recognised person, else per account; TTL stamped by the adapter) hold codes only:
    interview (unfinished only, one per device), rate, last = {"disposition", "categories", "date"}.
"""

from __future__ import annotations

from typing import Any

from ask_sdk_core.handler_input import HandlerInput

from skill.locale import Strings, strings_for
from triage import engine
from triage.knowledge import Knowledge, load_knowledge


def session(handler_input: HandlerInput) -> dict[str, Any]:
    """Session attributes; a scratch dict for requests that come without a session (e.g. AudioPlayer events)."""
    manager = handler_input.attributes_manager
    if handler_input.request_envelope.session is None:
        return manager.request_attributes.setdefault("no_session", {})  # type: ignore[return-value]
    attrs: dict[str, Any] | None = manager.session_attributes
    if attrs is None:
        attrs = {}
        manager.session_attributes = attrs
    return attrs


def kb() -> Knowledge:
    return load_knowledge()


def strings(handler_input: HandlerInput) -> Strings:
    cached = handler_input.attributes_manager.request_attributes.get("strings")
    if isinstance(cached, Strings):
        return cached
    return strings_for(getattr(handler_input.request_envelope.request, "locale", None))


def interview(handler_input: HandlerInput) -> dict[str, Any]:
    """The current interview state; a fresh one if absent or unreadable (never raises)."""
    attrs = session(handler_input)
    try:
        return engine.check_state(attrs.get("interview"), kb())
    except engine.StateError:
        fresh = engine.new_state(kb())
        attrs["interview"] = fresh
        return fresh


def set_interview(handler_input: HandlerInput, state: dict[str, Any]) -> None:
    session(handler_input)["interview"] = state


def pending(handler_input: HandlerInput) -> str | None:
    value = session(handler_input).get("pending")
    return value if isinstance(value, str) else None


def set_pending(handler_input: HandlerInput, value: str | None) -> None:
    attrs = session(handler_input)
    if value is None:
        attrs.pop("pending", None)
    else:
        attrs["pending"] = value


def rate(handler_input: HandlerInput) -> str | None:
    value = session(handler_input).get("rate")
    return value if value in ("slower", "faster") else None


def red_flags_heard(handler_input: HandlerInput) -> tuple[str, ...]:
    try:
        state = engine.check_state(session(handler_input).get("interview"), kb())
    except engine.StateError:
        return ()
    return engine.red_flags_heard(state, kb())
