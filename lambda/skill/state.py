"""Where the skill keeps things between turns. Session attributes hold plain JSON codes only:

    interview  the triage state (triage.engine), or absent before launch   } read and written only through
    pending    a yes/no offer waiting for an answer (skill.turn.Offer)     } skill.turn.Turn
    rate       speech rate: "slower" | "faster" | absent (normal)
    person     "other" after "it's for my dad": third-person wording for the rest of the session
    said       the repeat cache: {"speech": ssml, "reprompt": ssml}
    stored     the interview found in persistence at launch, until the person says whether to resume it
    stale      red flags kept from a stored interview of an older knowledge version (a list), until launch
    owner, stored_fp, stamp, renewed, kept
               bookkeeping of the Load/Save interceptors (a hash of the record's key, a digest per stored field,
               the last write stamp): see skill.interceptors and skill.persistence

Persistent records (one per recognised person, else per account; TTL stamped by the adapter) hold codes only:
    consent (the answer to "shall I remember you?") and rate always; interview (unfinished only, one per device)
    and last = {"disposition", "categories", "date"} only with consent.
"""

from __future__ import annotations

from typing import Any

from ask_sdk_core.handler_input import HandlerInput

from skill.locale import Strings, strings_for
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


def rate(handler_input: HandlerInput) -> str | None:
    value = session(handler_input).get("rate")
    return value if value in ("slower", "faster") else None
