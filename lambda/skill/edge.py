"""Inputs bounded at the edge, before the ASK SDK deserialises anything.

``check_request(event)`` is the one check both entry points run on the parsed JSON request: the Lambda
(``skill.builder.invoke``) and the webservice (``hosting.webservice``). It walks the event without recursion and
refuses, with a log-safe problem code: nesting deeper than ``MAX_DEPTH`` (at 496 levels the SDK's recursive
deserialiser raised RecursionError: an HTTP 500), more than ``MAX_NODES`` values, strings longer than
``MAX_STRING``, session attributes larger than ``MAX_ATTRIBUTES_CHARS``, and wrong types where the skill relies on
them (the request, the session and its attributes, intent and slots, the skill's own session attributes).
Every limit is far above anything Alexa or this skill produces (tests/reliability checks the largest real
conversations against them).

``refusal(event)`` is the Lambda's answer to a refused request: safe words in the request's locale, the session
kept open, and its attributes handed back unchanged when they themselves are within bounds (a bad slot must not
cost the interview: Alexa keeps only what the last reply carried); attributes out of bounds are not handed back.
The webservice answers 400 instead.

``valid_cached_speech(ssml)`` checks the repeat cache (session attributes come from the client and can be
forged): only well-formed SSML made of escaped text and the few tags the skill produces.
"""

from __future__ import annotations

import re
from typing import Any

MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_STRING = 8_192
MAX_ATTRIBUTES_CHARS = 64 * 1024
MAX_SLOTS = 32
MAX_SLOT_VALUE = 512
MAX_CACHED_SPEECH = 8_000  # Alexa's limit for outputSpeech

# The skill's own session attributes whose type the handlers rely on (others are only size-checked).
ATTRIBUTE_TYPES: dict[str, type | tuple[type, ...]] = {
    "interview": dict, "stored": dict, "said": dict, "last": dict, "last_stored": dict, "stored_fp": dict,
    "rate": str, "pending": str, "owner": str, "stamp": int,
}


def check_request(event: Any) -> str | None:
    """None when the event is within bounds, else a short problem code (safe to log: no content)."""
    if not isinstance(event, dict):
        return "not_an_object"
    problem = _check_shape(event)
    if problem:
        return problem
    request = event.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("type"), str):
        return "no_request_type"
    if "locale" in request and not isinstance(request["locale"], str):
        return "locale_type"
    session = event.get("session")
    if session is not None:
        if not isinstance(session, dict):
            return "session_type"
        attributes = session.get("attributes")
        if attributes is not None:
            if not isinstance(attributes, dict):
                return "attributes_type"
            if _size(attributes) > MAX_ATTRIBUTES_CHARS:
                return "attributes_size"
            for key, kind in ATTRIBUTE_TYPES.items():
                value = attributes.get(key)
                if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                    return f"attribute_type_{key}"
    if "intent" in request:
        return _check_intent(request["intent"])
    return None


def _check_shape(event: dict[str, Any]) -> str | None:
    """Depth, node count and string lengths, iteratively (no recursion, whatever the nesting)."""
    stack: list[tuple[Any, int]] = [(event, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return "too_many_values"
        if isinstance(value, dict):
            if depth >= MAX_DEPTH and value:
                return "too_deep"
            for key, item in value.items():
                if not isinstance(key, str) or len(key) > MAX_STRING:
                    return "key"
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth >= MAX_DEPTH and value:
                return "too_deep"
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                return "string_too_long"
        elif not (value is None or isinstance(value, bool | int | float)):
            return "value_type"
    return None


def _size(value: Any) -> int:
    """Roughly the JSON length of an already shape-checked value (iterative)."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            total += 2 + sum(len(k) + 4 for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            total += 2 + len(item)
            stack.extend(item)
        elif isinstance(item, str):
            total += len(item) + 2
        else:
            total += 8
    return total


def _check_intent(intent: Any) -> str | None:
    if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
        return "intent_type"
    slots = intent.get("slots")
    if slots is None:
        return None
    if not isinstance(slots, dict) or len(slots) > MAX_SLOTS:
        return "slots_type"
    for slot in slots.values():
        if not isinstance(slot, dict):
            return "slot_type"
        value = slot.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_SLOT_VALUE):
            return "slot_value"
        resolutions = slot.get("resolutions")
        if resolutions is not None and not isinstance(resolutions, dict):
            return "slot_resolutions"
    return None


def _attributes_in_bounds(event: Any) -> dict[str, Any] | None:
    """The event's session attributes if they pass ``check_request`` on their own, else None."""
    session = event.get("session") if isinstance(event, dict) else None
    attributes = session.get("attributes") if isinstance(session, dict) else None
    if not isinstance(attributes, dict):
        return None
    alone = {"request": {"type": "SessionEndedRequest"}, "session": {"attributes": attributes}}
    return attributes if check_request(alone) is None else None


def refusal(event: Any) -> dict[str, Any]:
    """The Lambda's answer to a request out of bounds: safe words, the session left open, and the session's
    attributes handed back as they came when they are within bounds (nothing is lost to a bad slot)."""
    from skill.locale import strings_for
    from skill.speech import Speech

    request = event.get("request") if isinstance(event, dict) else None
    locale = request.get("locale") if isinstance(request, dict) else None
    t = strings_for(locale if isinstance(locale, str) else None)
    speech = Speech(t).say("error").say("error_retry")
    reprompt = Speech(t).say("error_retry")
    reply: dict[str, Any] = {
        "version": "1.0",
        "response": {
            "outputSpeech": {"type": "SSML", "ssml": f"<speak>{speech.ssml}</speak>"},
            "reprompt": {"outputSpeech": {"type": "SSML", "ssml": f"<speak>{reprompt.ssml}</speak>"}},
            "shouldEndSession": False,
        },
    }
    attributes = _attributes_in_bounds(event)
    if attributes is not None:
        reply["sessionAttributes"] = attributes
    return reply


_TOKEN = re.compile(r"<[^<>]*>|[^<>]+|[<>]")
_TAG = re.compile(
    r'<(?P<close>/)?(?P<name>say-as|break|prosody|emphasis|s|p|sub|w|lang)'
    r'(?P<attrs>(?:\s+(?:interpret-as|format|detail|time|strength|rate|pitch|volume|level|alias|role|xml:lang)'
    r'="[A-Za-z0-9%.:+\- ]{0,40}")*)\s*(?P<empty>/)?>'
)
_TEXT = re.compile(r"(?:[^&<>]|&(?:amp|lt|gt|quot|apos|#[0-9]{1,5});)*")


def valid_cached_speech(ssml: Any) -> bool:
    """True for the inner text of a <speak> document the skill could have produced: escaped text and balanced
    tags from a short allow-list (say-as, break, prosody, ...), with plain attribute values; nothing else."""
    if not isinstance(ssml, str) or not ssml or len(ssml) > MAX_CACHED_SPEECH:
        return False
    open_tags: list[str] = []
    for token in _TOKEN.findall(ssml):
        if token.startswith("<"):
            match = _TAG.fullmatch(token)
            if not match:
                return False
            name = match["name"]
            if match["close"]:
                if match["attrs"] or match["empty"] or not open_tags or open_tags.pop() != name:
                    return False
            elif not match["empty"]:
                open_tags.append(name)
        elif not _TEXT.fullmatch(token):
            return False
    return not open_tags
