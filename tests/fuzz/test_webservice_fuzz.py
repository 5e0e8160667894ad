"""Fuzzing the self-hosted webservice (``hosting.webservice.create_app``) hosting the real skill, with request
verification on and off: raw bytes, malformed JSON, envelopes with fields replaced by arbitrary JSON, odd headers
and content types. The only acceptable answers are 4xx for what is not a valid Alexa request and 2xx for what is
(verification off); never a 5xx. No network: the signature verifier's certificate fetcher is an in-memory stub.

Bounded in CI (profile ``ci``: 150 derandomized examples per test); ``HYPOTHESIS_PROFILE=nightly`` runs 10,000.
(tests/webservice has a small property test over a stand-in skill; this one drives the project's skill.)
"""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from hosting import alexa_verifier as av
from hosting.sqlite_persistence import SqlitePersistenceAdapter
from hosting.webservice import MAX_BODY_BYTES, create_app
from skill import build_skill
from skill.persistence import ResilientPersistence

PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-fuzz.pem"
SERIALIZER = DefaultSerializer()


def _fetch(url: str) -> bytes:
    """A certificate host that serves junk for the one Amazon-looking URL and is unreachable otherwise."""
    if url == CERT_URL:
        return b"-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"
    raise av.CertFetchError("URLError")


@cache
def clients() -> dict[bool, FlaskClient]:
    """verify -> a test client of the webservice around the project's skill (in-memory SQLite persistence)."""
    store = SqlitePersistenceAdapter(":memory:")
    skill = build_skill(persistence_adapter=ResilientPersistence(store), skill_id=None)
    made = {}
    for verify in (True, False):
        app = create_app(skill, verify=verify, skill_id=None,
                         signature_verifier=av.AlexaSignatureVerifier(fetcher=_fetch))
        app.testing = True
        made[verify] = app.test_client()
    return made


def _envelope(request: dict[str, Any]) -> dict[str, Any]:
    app, user = {"applicationId": SKILL_ID}, {"userId": "amzn1.ask.account.FUZZWEB"}
    return {
        "version": "1.0",
        "session": {"new": False, "sessionId": "amzn1.echo-api.session.fuzzweb", "application": app,
                    "attributes": {}, "user": user},
        "context": {"System": {"application": app, "user": user, "device": {"deviceId": "amzn1.ask.device.W"},
                               "apiEndpoint": "https://api.amazonalexa.com", "apiAccessToken": "WEB.TOKEN"}},
        "request": {"requestId": "amzn1.echo-api.request.fuzzweb", "timestamp": "2026-11-24T12:00:00Z",
                    "locale": "en-US", **request},
    }


VALID_REQUESTS = [
    {"type": "LaunchRequest"},
    {"type": "IntentRequest", "dialogState": "STARTED",
     "intent": {"name": "AMAZON.YesIntent", "confirmationStatus": "NONE", "slots": {}}},
    {"type": "IntentRequest", "intent": {"name": "DurationIntent", "confirmationStatus": "NONE",
                                         "slots": {"duration": {"name": "duration", "value": "P2W"}}}},
    {"type": "IntentRequest", "intent": {"name": "VolunteerSymptomIntent", "confirmationStatus": "NONE", "slots": {
        "symptom": {"name": "symptom", "value": "wet myself", "resolutions": {"resolutionsPerAuthority": [
            {"authority": "a", "status": {"code": "ER_SUCCESS_MATCH"},
             "values": [{"value": {"name": "wet myself", "id": "loss_bladder_bowel"}}]}]}}}}},
    {"type": "SessionEndedRequest", "reason": "ERROR", "error": {"type": "INVALID_RESPONSE", "message": "x"}},
    {"type": "System.ExceptionEncountered", "error": {"type": "INVALID_RESPONSE", "message": "x"},
     "cause": {"requestId": "amzn1.echo-api.request.previous"}},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A valid envelope with one to three fields replaced by arbitrary JSON or deleted."""
    doc = copy.deepcopy(_envelope(draw(st.sampled_from(VALID_REQUESTS))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)[1:]))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
        if not _paths(doc)[1:]:
            break
    return doc


@st.composite
def broken_json(draw: st.DrawFn) -> bytes:
    """A valid envelope's bytes, truncated, spliced with random bytes, or wrapped in junk."""
    text = json.dumps(_envelope(draw(st.sampled_from(VALID_REQUESTS)))).encode()
    kind = draw(st.sampled_from(["truncate", "splice", "prefix", "deep", "huge_number", "bad_utf8", "dup_keys"]))
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text) - 1))]
    if kind == "splice":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.binary(min_size=1, max_size=16)) + text[at:]
    if kind == "prefix":
        return draw(st.binary(max_size=8)) + text + draw(st.binary(max_size=8))
    if kind == "deep":
        depth = draw(st.integers(500, 100_000))
        return b'{"request": ' + b"[" * depth + b"]" * depth + b"}"
    if kind == "huge_number":
        return text.replace(b'"version": "1.0"', b'"version": 1e999999, "n": -' + b"9" * 5000)
    if kind == "bad_utf8":
        return text.replace(b"LaunchRequest", b"Launch\xff\xfeRequest")
    return text[:-1] + b', "request": {"type": "LaunchRequest"}, "request": 1}'


headers = st.fixed_dictionaries({}, optional={
    "SignatureCertChainUrl": st.sampled_from([CERT_URL, "https://s3.amazonaws.com/echo.api/../evil.pem",
                                              "http://s3.amazonaws.com/echo.api/x.pem", "file:///etc/passwd"])
    | st.text(max_size=60),
    "Signature-256": st.sampled_from(["AAAA", "", "====", "not base64 ☃"]) | st.text(max_size=60),
    "Content-Type": st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                     "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]),
})


def _post(verify: bool, body: bytes, extra: dict[str, str]) -> Any:
    hdrs = {"Content-Type": "application/json", **extra}
    safe = {k: v for k, v in hdrs.items() if v.isprintable() and v.isascii() and "\n" not in v}
    return clients()[verify].post("/", data=body, headers=safe)


def _never_5xx(body: bytes, extra: dict[str, str]) -> list[int]:
    codes = []
    for verify in (True, False):
        resp = _post(verify, body, extra)
        assert resp.status_code < 500, (verify, resp.status_code, resp.get_data()[:300], body[:300])
        codes.append(resp.status_code)
    return codes


@settings(PROFILE)
@given(body=st.binary(max_size=4096), extra=headers)
def test_raw_bytes_never_5xx(body: bytes, extra: dict[str, str]) -> None:
    for code in _never_5xx(body, extra):
        assert 400 <= code < 500 or _is_envelope(body), code


@settings(PROFILE)
@given(body=broken_json(), extra=headers)
def test_malformed_json_never_5xx(body: bytes, extra: dict[str, str]) -> None:
    _never_5xx(body, extra)


@settings(PROFILE)
@given(doc=mutated_envelopes(), extra=headers)
def test_envelopes_with_arbitrary_fields_never_5xx(doc: dict[str, Any], extra: dict[str, str]) -> None:
    body = json.dumps(doc).encode()
    on, off = _never_5xx(body, extra)
    assert 400 <= on < 500, "verification on: an unsigned request is refused"
    if off == 200:  # what the webservice accepted, the skill answered in a form Alexa reads
        resp = _post(False, body, extra)
        assert isinstance(SERIALIZER.deserialize(resp.get_data(as_text=True), ResponseEnvelope), ResponseEnvelope)


@settings(PROFILE)
@given(request=st.sampled_from(VALID_REQUESTS), locale=st.sampled_from(["en-US", "en-GB", "en-IN", "fr-FR"]))
def test_valid_envelopes_are_2xx_without_verification_and_4xx_unsigned_with_it(request: dict[str, Any],
                                                                                locale: str) -> None:
    doc = _envelope({**request, "locale": locale})
    body = json.dumps(doc).encode()
    on, off = _post(True, body, {}), _post(False, body, {})
    assert on.status_code == 400
    assert off.status_code == 200, off.get_data()[:300]
    parsed = SERIALIZER.deserialize(off.get_data(as_text=True), ResponseEnvelope)
    assert isinstance(parsed, ResponseEnvelope)
    if request["type"] in ("LaunchRequest", "IntentRequest"):
        assert parsed.response.output_speech is not None


def test_oversized_body_is_413_not_5xx() -> None:
    body = json.dumps({**_envelope({"type": "LaunchRequest"}), "pad": "x" * MAX_BODY_BYTES}).encode()
    for verify in (True, False):
        assert _post(verify, body, {}).status_code == 413


def _is_envelope(body: bytes) -> bool:
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and isinstance(doc.get("request"), dict)
