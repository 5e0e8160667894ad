"""A local PKI (root CA -> intermediate -> leaf with SAN echo-api.amazon.com), a request signer, and an app factory
hosting a spy skill whose interceptor records every request that reaches skill code. No network: the certificate
chain is served by an in-memory fetcher."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ask_sdk_core.dispatch_components import AbstractRequestHandler, AbstractRequestInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import Response
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask.testing import FlaskClient

from hosting import alexa_verifier as av
from hosting.webservice import create_app

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SKILL_ID = "amzn1.ask.skill.test-0000"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    san: tuple[str, ...] = (),
    not_before: datetime,
    not_after: datetime,
) -> x509.Certificate:
    pub = key.public_key()
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=not ca,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        b = b.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


@dataclass
class Pki:
    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    inter: x509.Certificate
    inter_key: rsa.RSAPrivateKey
    leaf_key: rsa.RSAPrivateKey
    rogue_root: x509.Certificate
    rogue_key: rsa.RSAPrivateKey

    def leaf(
        self,
        *,
        san: tuple[str, ...] = (av.ALEXA_SAN,),
        valid: tuple[timedelta, timedelta] = (timedelta(days=-1), timedelta(days=30)),
        rogue: bool = False,
    ) -> x509.Certificate:
        now = datetime.now(UTC)
        issuer, issuer_key = (self.rogue_root, self.rogue_key) if rogue else (self.inter, self.inter_key)
        return _cert(
            "echo-api.amazon.com",
            self.leaf_key,
            issuer,
            issuer_key,
            ca=False,
            san=san,
            not_before=now + valid[0],
            not_after=now + valid[1],
        )

    def chain_pem(self, leaf: x509.Certificate, *, with_intermediate: bool = True) -> bytes:
        certs = [leaf, self.inter] if with_intermediate else [leaf]
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.leaf_key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


@pytest.fixture(scope="session")
def pki() -> Pki:
    now = datetime.now(UTC)
    span = {"not_before": now - timedelta(days=365), "not_after": now + timedelta(days=3650)}
    root_key, inter_key, rogue_key = _key(), _key(), _key()
    root = _cert("Test Root CA", root_key, None, root_key, ca=True, **span)
    inter = _cert("Test Intermediate CA", inter_key, root, root_key, ca=True, **span)
    rogue = _cert("Rogue Root CA", rogue_key, None, rogue_key, ca=True, **span)
    return Pki(root, root_key, inter, inter_key, _key(), rogue, rogue_key)


@dataclass
class Fetcher:
    """In-memory certificate host: url -> PEM; anything else behaves like an unreachable URL."""

    served: dict[str, bytes] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if url not in self.served:
            raise av.CertFetchError("URLError")
        return self.served[url]


class Spy(AbstractRequestInterceptor):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def process(self, handler_input: HandlerInput) -> None:
        self.seen.append(handler_input.request_envelope.request.object_type)


class Launch(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak("Hello from the test skill.").ask("Still there?").response


def spy_skill() -> tuple[CustomSkill, Spy]:
    spy = Spy()
    sb = CustomSkillBuilder()
    sb.add_request_handler(Launch())
    sb.add_global_request_interceptor(spy)
    return sb.create(), spy


def envelope(
    *, request_type: str = "LaunchRequest", at: datetime | None = None, app_id: str = SKILL_ID
) -> dict[str, Any]:
    stamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    app = {"applicationId": app_id}
    user = {"userId": "amzn1.ask.account.TEST"}
    return {
        "version": "1.0",
        "session": {"new": True, "sessionId": "amzn1.echo-api.session.1", "application": app, "user": user},
        "context": {"System": {"application": app, "user": user, "device": {"deviceId": "amzn1.ask.device.X"}}},
        "request": {"type": request_type, "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "timestamp": stamp,
                    "locale": "en-US"},
    }


@pytest.fixture
def make_envelope() -> Callable[..., dict[str, Any]]:
    return envelope


@dataclass
class Harness:
    client: FlaskClient
    spy: Spy
    fetcher: Fetcher
    pki: Pki

    def post(
        self,
        body: bytes,
        *,
        cert_url: str | None = CERT_URL,
        signature: str | None = None,
        content_type: str = "application/json",
    ) -> Any:
        headers = {}
        if cert_url is not None:
            headers["SignatureCertChainUrl"] = cert_url
        sig = self.pki.sign(body) if signature is None else signature
        if sig:
            headers["Signature-256"] = sig
        return self.client.post("/", data=body, headers=headers, content_type=content_type)

    def post_envelope(self, env: dict[str, Any], **kw: Any) -> Any:
        return self.post(json.dumps(env).encode(), **kw)


MakeHarness = Callable[..., Harness]


@pytest.fixture
def memory_db(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """create_app()'s default SQLite persistence, in memory, closed after the test."""
    from hosting import webservice
    from hosting.sqlite_persistence import SqlitePersistenceAdapter

    made: list[Any] = []

    def adapter() -> SqlitePersistenceAdapter:
        made.append(SqlitePersistenceAdapter(":memory:"))
        return made[-1]

    monkeypatch.setattr(webservice, "default_persistence_adapter", adapter)
    yield made
    for a in made:
        a.close()


@pytest.fixture
def make_harness(pki: Pki) -> Iterator[MakeHarness]:
    def make(
        *, chain: bytes | None = None, verify: bool = True, skill_id: str | None = "", roots: list[Any] | None = None
    ) -> Harness:
        skill, spy = spy_skill()
        fetcher = Fetcher({CERT_URL: chain if chain is not None else pki.chain_pem(pki.leaf())})
        verifier = av.AlexaSignatureVerifier(trust_roots=roots or [pki.root], fetcher=fetcher)
        app = create_app(skill, verify=verify, skill_id=skill_id, signature_verifier=verifier)
        app.testing = True
        return Harness(app.test_client(), spy, fetcher, pki)

    yield make
