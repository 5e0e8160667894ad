"""Unit tests of the verifiers: URL rules, timestamp tolerances, the default fetcher (against 127.0.0.1 only) and
the fail-closed certvalidator stand-in."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from hosting import alexa_verifier as av


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "HTTPS://s3.AmazonAWS.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    ],
)
def test_amazon_documented_cert_urls_are_accepted(url):
    av.validate_cert_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://notamazon.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../x",
        "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
        "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api",
        "",
        "https://[::1/echo.api/x",
    ],
)
def test_other_cert_urls_are_refused(url):
    with pytest.raises(av.VerificationException):
        av.validate_cert_url(url)


def _env(seconds_ago: float, request_type: str = "LaunchRequest", tz: str = "Z") -> RequestEnvelope:
    stamp = (datetime.now(UTC) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S") + tz
    payload = f'{{"request": {{"type": "{request_type}", "timestamp": "{stamp}"}}}}'
    env: RequestEnvelope = DefaultSerializer().deserialize(payload=payload, obj_type=RequestEnvelope)
    return env


@pytest.mark.parametrize(
    ("seconds_ago", "request_type", "ok"),
    [
        (0, "LaunchRequest", True),
        (140, "IntentRequest", True),
        (-140, "IntentRequest", True),
        (160, "IntentRequest", False),
        (-160, "SessionEndedRequest", False),
        (3500, "AlexaSkillEvent.SkillEnabled", True),
        (3700, "AlexaSkillEvent.SkillDisabled", False),
        (3500, "LaunchRequest", False),
    ],
)
def test_timestamp_tolerance(seconds_ago, request_type, ok):
    verifier = av.TimestampVerifier()
    if ok:
        verifier.verify({}, "", _env(seconds_ago, request_type))
    else:
        with pytest.raises(av.VerificationException):
            verifier.verify({}, "", _env(seconds_ago, request_type))


def test_timestamp_without_zone_or_missing_is_refused():
    with pytest.raises(av.VerificationException):
        av.TimestampVerifier().verify({}, "", _env(0, tz=""))
    empty = DefaultSerializer().deserialize(payload="{}", obj_type=RequestEnvelope)
    with pytest.raises(av.VerificationException):
        av.TimestampVerifier().verify({}, "", empty)


def test_skill_id_verifier_needs_an_id_and_a_match():
    ser = DefaultSerializer()
    def env(payload: str) -> RequestEnvelope:
        result: RequestEnvelope = ser.deserialize(payload=payload, obj_type=RequestEnvelope)
        return result
    v = av.SkillIdVerifier("ours")
    v.verify({}, "", env('{"context": {"System": {"application": {"applicationId": "ours"}}}}'))
    for payload in (
        "{}",
        '{"context": {"System": {"application": {"applicationId": "theirs"}}}}',
        '{"context": {"System": {"application": {"applicationId": "ours"}}},'
        ' "session": {"application": {"applicationId": "theirs"}}}',
    ):
        with pytest.raises(av.VerificationException):
            v.verify({}, "", env(payload))


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {"/ok": (200, b"PEM"), "/big": (200, b"x" * (av.MAX_CERT_BYTES + 1)), "/missing": (404, b"")}
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
            return
        code, body = routes.get(self.path, (404, b""))
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_default_fetcher_reads_a_chain(local_server):
    assert av.fetch_cert_chain(local_server + "/ok") == b"PEM"


@pytest.mark.parametrize("path", ["/big", "/missing", "/redirect"])
def test_default_fetcher_refuses_oversize_errors_and_redirects(local_server, path):
    with pytest.raises(av.CertFetchError):
        av.fetch_cert_chain(local_server + path)


def test_default_fetcher_turns_network_errors_into_fetch_errors(local_server):
    port = int(local_server.rsplit(":", 1)[1])
    with pytest.raises(av.CertFetchError):
        av.fetch_cert_chain(f"http://127.0.0.1:{port + 1 if port < 65535 else 1}/ok", timeout=1.0)


def test_certifi_roots_load_including_amazon_and_starfield():
    names = {r.subject.rfc4514_string() for r in av.certifi_roots()}
    assert len(names) > 100
    assert any("Amazon Root CA 1" in n for n in names)
    assert any("Starfield Services Root" in n for n in names)  # non-positive serial: loads without a warning


def test_default_trust_store_builds_from_certifi():
    assert av.AlexaSignatureVerifier()._trust_store() is not None


def test_stock_certvalidator_path_fails_closed(pki):
    """If someone re-enabled the SDK's own RequestVerifier, the (stand-in or real) certvalidator must refuse."""
    from ask_sdk_webservice_support.verifier import RequestVerifier

    with pytest.raises(av.VerificationException):
        RequestVerifier()._validate_cert_chain(pki.chain_pem(pki.leaf()))
