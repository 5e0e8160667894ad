"""Alexa request verifiers for the self-hosted webservice, built on ``cryptography`` only.

Why this module exists (the oscrypto trap)
------------------------------------------
``flask_ask_sdk.skill_adapter`` imports ``ask_sdk_webservice_support.verifier``, which imports ``certvalidator``
0.11.1 at module level; ``certvalidator`` imports ``oscrypto`` 1.3.0, whose libcrypto loader parses the OpenSSL
version with the regex ``\\b(\\d\\.\\d\\.\\d[a-z]*)\\b``. "OpenSSL 3.0.19" (two-digit patch) does not match, so the
import raises ``oscrypto.errors.LibraryNotFoundError`` and the whole webservice cannot even start.

Options weighed:

* a fixed oscrypto: none released on PyPI (1.3.0 is the latest); the fix only exists in its git repository.
* ``oscrypto-snowflake-patch`` / ``elements-oscrypto``: third-party forks of a crypto library - not a trustworthy
  security dependency.
* ``pyhanko-certvalidator`` 0.33 as a stand-in for the ``certvalidator`` import name: its import name differs (an
  alias would still need a ``sys.modules`` trick), it still requires oscrypto (imported lazily for the system trust
  list - exactly the path the stock verifier takes, so it would fail at the first request), its synchronous
  ``CertificateValidator.validate_usage`` is gone (async only), and it pulls aiohttp. Not API-compatible.
* ``oscrypto.use_openssl(path)``: the same version regex runs on whatever libcrypto it loads.
* editing site-packages or disabling verification: ruled out.

Chosen: the stock ``RequestVerifier``/``TimestampVerifier`` are not used at all. This module does the whole Alexa
check with ``cryptography`` (chain validation with ``cryptography.x509.verification`` against certifi's roots) and
a timezone-aware clock. To make ``ask_sdk_webservice_support.verifier`` importable (flask-ask-sdk needs its
``AbstractVerifier`` and ``VerificationException``), :func:`_ensure_certvalidator_importable` runs first: it imports
the real ``certvalidator`` and only when that fails with oscrypto's ``LibraryNotFoundError`` registers, for this
process only, a *fail-closed* stand-in whose ``CertificateValidator`` always raises ``ValidationError`` - so even
if someone re-enabled the stock ``RequestVerifier``, every request would be refused (400), never let through. Once a
fixed oscrypto is installed the real package is used again and the stand-in disappears by itself.

Privacy: exception messages here never contain the request body, ids or tokens (flask-ask-sdk logs them).
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import posixpath
import re
import sys
import threading
import types
import urllib.error
import urllib.request
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError


def _ensure_certvalidator_importable() -> None:
    """Import ``certvalidator``; if oscrypto cannot load this OpenSSL, register a fail-closed stand-in."""
    if "certvalidator" in sys.modules:
        return
    try:
        importlib.import_module("certvalidator")
    except Exception as exc:
        if type(exc).__name__ != "LibraryNotFoundError":
            raise
        for name in [n for n in sys.modules if n == "certvalidator" or n.startswith("certvalidator.")]:
            del sys.modules[name]  # half-initialised leftovers of the failed import
        sys.modules.update(_fail_closed_certvalidator())


def _fail_closed_certvalidator() -> dict[str, types.ModuleType]:
    errors = types.ModuleType("certvalidator.errors", "Fail-closed stand-in (see hosting.alexa_verifier).")

    class PathError(Exception):
        pass

    class ValidationError(Exception):
        pass

    class CertificateValidator:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise ValidationError("certvalidator unavailable: oscrypto cannot load libcrypto")

    errors.PathError = PathError  # type: ignore[attr-defined]
    errors.ValidationError = ValidationError  # type: ignore[attr-defined]
    package = types.ModuleType("certvalidator", "Fail-closed stand-in (see hosting.alexa_verifier).")
    package.CertificateValidator = CertificateValidator  # type: ignore[attr-defined]
    package.errors = errors  # type: ignore[attr-defined]
    package.ValidationError = ValidationError  # type: ignore[attr-defined]
    return {"certvalidator": package, "certvalidator.errors": errors}


_ensure_certvalidator_importable()

from ask_sdk_webservice_support.verifier import AbstractVerifier, VerificationException  # noqa: E402

__all__ = [
    "AbstractVerifier",
    "AlexaSignatureVerifier",
    "CertFetchError",
    "SkillIdVerifier",
    "TimestampVerifier",
    "VerificationException",
    "fetch_cert_chain",
    "validate_cert_url",
]

CERT_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
ALEXA_SAN = "echo-api.amazon.com"
NORMAL_TOLERANCE = timedelta(seconds=150)
SKILL_EVENT_TOLERANCE = timedelta(hours=1)
SKILL_EVENT_TYPES = frozenset(
    {
        "AlexaSkillEvent.SkillEnabled",
        "AlexaSkillEvent.SkillDisabled",
        "AlexaSkillEvent.SkillPermissionChanged",
        "AlexaSkillEvent.SkillPermissionAccepted",
        "AlexaSkillEvent.SkillAccountLinked",
    }
)
MAX_CERT_BYTES = 64 * 1024
FETCH_TIMEOUT_S = 5.0

Clock = Callable[[], datetime]
Fetcher = Callable[[str], bytes]


def utc_now() -> datetime:
    return datetime.now(UTC)


class CertFetchError(Exception):
    """The certificate chain could not be downloaded."""


def validate_cert_url(url: str) -> None:
    """Amazon's rules: https, host s3.amazonaws.com, normalised path under /echo.api/, port 443 if given."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise VerificationException("certificate URL is malformed") from exc
    if parts.scheme.lower() != "https":
        raise VerificationException("certificate URL must use https")
    if (parts.hostname or "").lower() != CERT_HOST or parts.username is not None or parts.password is not None:
        raise VerificationException("certificate URL host is not s3.amazonaws.com")
    if port is not None and port != 443:
        raise VerificationException("certificate URL port is not 443")
    if not posixpath.normpath(unquote(parts.path)).startswith(CERT_PATH_PREFIX):
        raise VerificationException("certificate URL path is not under /echo.api/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could lead off s3.amazonaws.com/echo.api/: treat it as an error


def fetch_cert_chain(url: str, timeout: float = FETCH_TIMEOUT_S, max_bytes: int = MAX_CERT_BYTES) -> bytes:
    """Download a PEM chain: short timeout, size cap, no redirects. Raises CertFetchError on any failure."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as response:  # URL checked by validate_cert_url first
            if response.status != 200:
                raise CertFetchError(f"HTTP {response.status}")
            data: bytes = response.read(max_bytes + 1)
    except CertFetchError:
        raise
    except (OSError, ValueError, urllib.error.URLError) as exc:
        raise CertFetchError(type(exc).__name__) from exc
    if len(data) > max_bytes:
        raise CertFetchError("certificate chain too large")
    return data


def certifi_roots() -> list[x509.Certificate]:
    """certifi's roots. A few old ones (e.g. Starfield/GoDaddy G2) carry non-positive serials, which cryptography
    loads with a CryptographyDeprecationWarning: kept, warning silenced; any root that cannot load is skipped."""
    import certifi

    with open(certifi.where(), "rb") as f:
        blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", f.read(), re.DOTALL)
    roots = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in blocks:
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue
    return roots


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value if isinstance(value, str) and value else None


class AlexaSignatureVerifier(AbstractVerifier):
    """Checks SignatureCertChainUrl + Signature-256 (base64 SHA-256 PKCS#1 v1.5 over the raw body)."""

    def __init__(
        self,
        *,
        trust_roots: Sequence[x509.Certificate] | None = None,
        fetcher: Fetcher = fetch_cert_chain,
        clock: Clock = utc_now,
        cache_size: int = 16,
    ) -> None:
        self._roots = list(trust_roots) if trust_roots is not None else None
        self._store: Store | None = None
        self._fetch = fetcher
        self._clock = clock
        self._cache: OrderedDict[str, list[x509.Certificate]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, Any], serialized_request_env: str, deserialized_request_env: Any) -> None:
        cert_url = _header(headers, CERT_URL_HEADER)
        signature = _header(headers, SIGNATURE_HEADER)
        if cert_url is None or signature is None:
            raise VerificationException("missing signature or certificate URL header")
        validate_cert_url(cert_url)
        leaf = self._signing_certificate(cert_url)
        self._check_signature(leaf, signature, serialized_request_env.encode("utf-8"))

    def _trust_store(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store(self._roots if self._roots is not None else certifi_roots())
            return self._store

    def _signing_certificate(self, url: str) -> x509.Certificate:
        with self._lock:
            chain = self._cache.get(url)
        if chain is None:
            chain = self._download(url)
        leaf = chain[0]
        self._check_chain(leaf, chain[1:])
        with self._lock:
            self._cache[url] = chain
            self._cache.move_to_end(url)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return leaf

    def _download(self, url: str) -> list[x509.Certificate]:
        try:
            pem = self._fetch(url)
        except Exception as exc:  # any fetcher failure is the request's problem: 400, not 500
            raise VerificationException("certificate chain could not be fetched") from exc
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError as exc:
            raise VerificationException("certificate chain is not valid PEM") from exc
        if not chain:
            raise VerificationException("certificate chain is empty")
        return chain

    def _check_chain(self, leaf: x509.Certificate, intermediates: list[x509.Certificate]) -> None:
        now = self._clock()
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise VerificationException("signing certificate is expired or not yet valid")
        try:
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound as exc:
            raise VerificationException("signing certificate has no subject alternative name") from exc
        if ALEXA_SAN not in san.get_values_for_type(x509.DNSName):
            raise VerificationException("signing certificate is not for echo-api.amazon.com")
        try:
            usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            usage = None
        if usage is not None and not usage.digital_signature:
            raise VerificationException("signing certificate may not sign")
        policy = PolicyBuilder().store(self._trust_store()).time(now)
        try:
            policy.build_server_verifier(x509.DNSName(ALEXA_SAN)).verify(leaf, intermediates)
        except VerificationError as exc:
            raise VerificationException("certificate chain does not lead to a trusted root") from exc

    @staticmethod
    def _check_signature(leaf: x509.Certificate, signature: str, body: bytes) -> None:
        try:
            raw = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationException("signature is not base64") from exc
        key = leaf.public_key()
        if not isinstance(key, RSAPublicKey):
            raise VerificationException("signing certificate key is not RSA")
        try:
            key.verify(raw, body, PKCS1v15(), SHA256())
        except InvalidSignature as exc:
            raise VerificationException("request signature does not match the body") from exc


class TimestampVerifier(AbstractVerifier):
    """Request timestamp within 150 s of now (1 h for skill events); timezone-aware throughout."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self._clock = clock

    def verify(self, headers: Mapping[str, Any], serialized_request_env: str, deserialized_request_env: Any) -> None:
        if deserialized_request_env is None:  # a request type the SDK does not know: read the raw JSON
            request_type, stamp = _raw_timestamp(serialized_request_env)
        else:
            request = getattr(deserialized_request_env, "request", None)
            request_type, stamp = getattr(request, "object_type", None), getattr(request, "timestamp", None)
        if not isinstance(stamp, datetime) or stamp.utcoffset() is None:
            raise VerificationException("request timestamp is missing or has no time zone")
        age = abs(self._clock() - stamp)
        is_event = request_type in SKILL_EVENT_TYPES
        limit = SKILL_EVENT_TOLERANCE if is_event else NORMAL_TOLERANCE
        if age > limit:
            raise VerificationException("request timestamp is outside the tolerance")


def _raw(serialized_request_env: str) -> dict[str, Any]:
    try:
        doc = json.loads(serialized_request_env)
    except (TypeError, ValueError, RecursionError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _raw_timestamp(serialized_request_env: str) -> tuple[Any, datetime | None]:
    request = _raw(serialized_request_env).get("request")
    request = request if isinstance(request, dict) else {}
    stamp = request.get("timestamp")
    try:
        parsed = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        parsed = None
    return request.get("type"), parsed


def _dig(obj: Any, *names: str) -> Any:
    for name in names:
        obj = getattr(obj, name, None)
    return obj


def _dig_raw(doc: Any, *names: str) -> Any:
    for name in names:
        doc = doc.get(name) if isinstance(doc, dict) else None
    return doc


class SkillIdVerifier(AbstractVerifier):
    """Refuses a request whose application id (context and session) is not ours, before any skill code runs."""

    def __init__(self, skill_id: str) -> None:
        self._skill_id = skill_id

    def verify(self, headers: Mapping[str, Any], serialized_request_env: str, deserialized_request_env: Any) -> None:
        env = deserialized_request_env
        if env is None:  # a request type the SDK does not know: read the raw JSON
            doc = _raw(serialized_request_env)
            ids = [_dig_raw(doc, "context", "System", "application", "applicationId"),
                   _dig_raw(doc, "session", "application", "applicationId")]
        else:
            ids = [
                _dig(env, "context", "system", "application", "application_id"),
                _dig(env, "session", "application", "application_id"),
            ]
        present = [i for i in ids if i is not None]
        if not present or any(i != self._skill_id for i in present):
            raise VerificationException("application id does not match SKILL_ID")
