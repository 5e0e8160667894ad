"""HTTP-level tests: signed requests are answered; every forged, stale or malformed one gets a 4xx and never
reaches skill code (the spy interceptor stays empty)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import ResponseEnvelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hosting.webservice import UNVERIFIED_BANNER, create_app


def _refused(resp, harness) -> None:  # type: ignore[no-untyped-def]
    assert 400 <= resp.status_code < 500, resp.status_code
    assert harness.spy.seen == [], "skill code ran for a refused request"


def test_signed_launch_is_answered_with_a_valid_response(make_harness, make_envelope):
    h = make_harness()
    resp = h.post_envelope(make_envelope())
    assert resp.status_code == 200
    out = DefaultSerializer().deserialize(payload=resp.get_data(as_text=True), obj_type=ResponseEnvelope)
    assert isinstance(out, ResponseEnvelope)
    assert "Hello from the test skill" in out.response.output_speech.ssml
    assert h.spy.seen == ["LaunchRequest"]


def test_cert_chain_is_fetched_once_then_cached(make_harness, make_envelope):
    h = make_harness()
    for _ in range(3):
        assert h.post_envelope(make_envelope()).status_code == 200
    assert len(h.fetcher.calls) == 1


def test_bad_signature_is_refused(make_harness, make_envelope):
    h = make_harness()
    other = json.dumps(make_envelope()).encode()
    _refused(h.post_envelope(make_envelope(), signature=h.pki.sign(other + b" ")), h)


@pytest.mark.parametrize("signature", ["not base64 !!", "AAAA"])
def test_garbage_signature_is_refused(make_harness, make_envelope, signature):
    h = make_harness()
    _refused(h.post_envelope(make_envelope(), signature=signature), h)


def test_tampered_body_is_refused(make_harness, make_envelope):
    h = make_harness()
    body = json.dumps(make_envelope()).encode()
    signature = h.pki.sign(body)
    tampered = body.replace(b'"en-US"', b'"en-GB"')
    assert tampered != body
    _refused(h.post(tampered, signature=signature), h)


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem",
        "https://notamazon.com/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/invalid.path/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/../x",
        "https://s3.amazonaws.com/echo.api/%2e%2e/x",
        "https://s3.amazonaws.com:8443/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert-test.pem",
        "https://evil@s3.amazonaws.com/echo.api/echo-api-cert-test.pem",
    ],
)
def test_cert_url_off_amazon_is_refused_without_fetching(make_harness, make_envelope, url):
    h = make_harness()
    h.fetcher.served[url] = h.fetcher.served[next(iter(h.fetcher.served))]  # even if it *could* be fetched
    _refused(h.post_envelope(make_envelope(), cert_url=url), h)
    assert h.fetcher.calls == []


def test_expired_cert_is_refused(make_harness, make_envelope, pki):
    expired = pki.leaf(valid=(timedelta(days=-60), timedelta(days=-1)))
    h = make_harness(chain=pki.chain_pem(expired))
    _refused(h.post_envelope(make_envelope()), h)


def test_cert_without_alexa_san_is_refused(make_harness, make_envelope, pki):
    h = make_harness(chain=pki.chain_pem(pki.leaf(san=("example.com",))))
    _refused(h.post_envelope(make_envelope()), h)


def test_cert_without_any_san_is_refused(make_harness, make_envelope, pki):
    h = make_harness(chain=pki.chain_pem(pki.leaf(san=())))
    _refused(h.post_envelope(make_envelope()), h)


def test_cert_not_chaining_to_trusted_root_is_refused(make_harness, make_envelope, pki):
    h = make_harness(chain=pki.chain_pem(pki.leaf(rogue=True), with_intermediate=False))
    _refused(h.post_envelope(make_envelope()), h)


def test_chain_missing_intermediate_is_refused(make_harness, make_envelope, pki):
    h = make_harness(chain=pki.chain_pem(pki.leaf(), with_intermediate=False))
    _refused(h.post_envelope(make_envelope()), h)


def test_self_signed_root_in_chain_is_not_trusted_by_itself(make_harness, make_envelope, pki):
    h = make_harness(roots=[pki.rogue_root])
    _refused(h.post_envelope(make_envelope()), h)


BAD_PEM = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize("chain", [b"", b"not a pem", BAD_PEM])
def test_garbage_chain_is_refused(make_harness, make_envelope, chain):
    h = make_harness(chain=chain)
    _refused(h.post_envelope(make_envelope()), h)


@pytest.mark.parametrize("seconds", [-200, 200, 3000])
def test_stale_timestamp_is_refused(make_harness, make_envelope, seconds):
    h = make_harness()
    _refused(h.post_envelope(make_envelope(at=datetime.now(UTC) - timedelta(seconds=seconds))), h)


def test_skill_event_within_an_hour_is_accepted(make_harness, make_envelope):
    h = make_harness()
    env = make_envelope(request_type="AlexaSkillEvent.SkillEnabled", at=datetime.now(UTC) - timedelta(minutes=30))
    env["request"]["eventCreationTime"] = env["request"]["timestamp"]
    resp = h.post_envelope(env)
    assert resp.status_code != 400  # verification passed; the test skill has no handler for skill events
    assert h.spy.seen == ["AlexaSkillEvent.SkillEnabled"]


@pytest.mark.parametrize("missing", ["url", "signature", "both"])
def test_missing_headers_are_refused(make_harness, make_envelope, missing):
    h = make_harness()
    kw = {"url": {"cert_url": None}, "signature": {"signature": ""}, "both": {"cert_url": None, "signature": ""}}
    _refused(h.post_envelope(make_envelope(), **kw[missing]), h)


def test_unfetchable_cert_url_is_refused(make_harness, make_envelope):
    h = make_harness()
    _refused(h.post_envelope(make_envelope(), cert_url="https://s3.amazonaws.com/echo.api/gone.pem"), h)
    assert h.fetcher.calls == ["https://s3.amazonaws.com/echo.api/gone.pem"]


def test_wrong_skill_id_is_refused_when_skill_id_set(make_harness, make_envelope):
    h = make_harness(skill_id="amzn1.ask.skill.ours")
    _refused(h.post_envelope(make_envelope(app_id="amzn1.ask.skill.someone-else")), h)
    assert h.fetcher.calls == []  # refused before any network work


def test_right_skill_id_is_answered(make_harness, make_envelope):
    h = make_harness(skill_id="amzn1.ask.skill.ours")
    assert h.post_envelope(make_envelope(app_id="amzn1.ask.skill.ours")).status_code == 200


def test_skill_id_from_env_applies_even_without_verification(monkeypatch, make_harness, make_envelope):
    monkeypatch.setenv("SKILL_ID", "amzn1.ask.skill.ours")
    h = make_harness(verify=False, skill_id=None)
    _refused(h.post_envelope(make_envelope(app_id="amzn1.ask.skill.someone-else")), h)
    assert h.post_envelope(make_envelope(app_id="amzn1.ask.skill.ours")).status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b'{"request": 5}', "application/json"),
        (b'{"request": {"type": "NoSuchRequest"}}', "application/json"),
        (b'{"request": {"type": "LaunchRequest", "timestamp": "yesterday"}}', "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"{}", "text/plain"),
        (b"x" * (1024 * 1024), "application/json"),
    ],
    ids=["malformed", "empty", "array", "request-int", "unknown-type", "bad-timestamp", "not-utf8", "deep",
         "text-plain", "1MB"],
)
@pytest.mark.parametrize("verify", [True, False], ids=["verify", "no-verify"])
def test_bad_input_gets_4xx_and_no_skill_code(make_harness, body, content_type, verify):
    h = make_harness(verify=verify)
    resp = h.post(body, content_type=content_type)
    _refused(resp, h)
    if len(body) > 256 * 1024:
        assert resp.status_code == 413
    assert len(body) < 5 or body[:20] not in resp.get_data()  # the body is never echoed back


def test_get_is_not_allowed(make_harness):
    h = make_harness()
    assert h.client.get("/").status_code == 405
    assert h.client.get("/health").status_code == 200


def test_no_verify_answers_an_unsigned_launch(make_harness, make_envelope):
    h = make_harness(verify=False)
    resp = h.post_envelope(make_envelope(at=datetime(2020, 1, 1, tzinfo=UTC)), cert_url=None, signature="")
    assert resp.status_code == 200
    assert h.spy.seen == ["LaunchRequest"]


def test_verification_is_on_by_default_and_off_is_loud(monkeypatch, caplog, make_envelope, memory_db):
    monkeypatch.delenv("ALEXA_VERIFY", raising=False)
    monkeypatch.delenv("SKILL_ID", raising=False)
    body = json.dumps(make_envelope()).encode()
    app = create_app()
    assert app.test_client().post("/", data=body, content_type="application/json").status_code == 400
    assert "VERIFICATION IS OFF" not in caplog.text
    monkeypatch.setenv("ALEXA_VERIFY", "0")
    app = create_app()
    resp = app.test_client().post("/", data=body, content_type="application/json")
    assert resp.status_code == 200
    assert UNVERIFIED_BANNER.strip() in caplog.text


def test_default_app_hosts_the_project_skill_with_sqlite(monkeypatch, make_envelope, memory_db):
    monkeypatch.delenv("SKILL_ID", raising=False)
    app = create_app(verify=False)
    assert len(memory_db) == 1
    resp = app.test_client().post("/", json=make_envelope())
    assert resp.status_code == 200
    out = DefaultSerializer().deserialize(payload=resp.get_data(as_text=True), obj_type=ResponseEnvelope)
    assert out.response.output_speech is not None


def test_logs_carry_no_ids_or_body(make_harness, make_envelope, caplog):
    caplog.set_level("DEBUG")
    h = make_harness()
    h.post_envelope(make_envelope())
    h.post_envelope(make_envelope(), signature="AAAA")
    h.post(b'{"request": {"type": "LaunchRequest", "timestamp": "secret-slot-value"}}')
    assert "LaunchRequest" in caplog.text
    for secret in ("amzn1.ask.account", "amzn1.ask.device", "amzn1.echo-api", "secret-slot-value", "test-0000"):
        assert secret not in caplog.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2048))
def test_raw_bytes_never_5xx(make_harness, body):
    for verify in (True, False):
        h = make_harness(verify=verify)
        resp = h.post(body)
        assert resp.status_code < 500
        assert h.spy.seen == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=_json, extra=st.dictionaries(st.sampled_from(["version", "session", "context"]), _json))
def test_arbitrary_json_envelopes_never_5xx_when_verifying(make_harness, request, extra):
    h = make_harness()
    resp = h.post(json.dumps({"request": request, **extra}).encode())
    assert 400 <= resp.status_code < 500
    assert h.spy.seen == []


def test_chunked_1mb_body_without_length_gets_4xx(make_harness):
    import io

    h = make_harness()
    resp = h.client.post(
        "/",
        input_stream=io.BytesIO(b"x" * (1024 * 1024)),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )
    _refused(resp, h)
