"""Self-hosted Alexa webservice: the project's skill behind flask-ask-sdk's ``SkillAdapter``.

Development:  python -m hosting.webservice [--host 127.0.0.1] [--port 5000] [--no-verify]
Production:   python -m hosting.webservice --serve waitress   (or: waitress-serve --call hosting.webservice:create_app)

Signature and timestamp verification are on unless ``--no-verify`` or ``ALEXA_VERIFY=0``. When ``SKILL_ID`` is set,
requests for another skill are refused (400) before any skill code runs. Bad input (wrong content type, empty,
over 256 KiB, not JSON, not a request envelope) gets a 4xx, never a 500. Logs carry request types and status
codes only: never bodies, slot values, user/device ids or tokens.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from ask_sdk_core.skill import CustomSkill  # noqa: E402
from ask_sdk_model.request_envelope import RequestEnvelope  # noqa: E402
from flask import Flask, Response, current_app, g, jsonify, request  # noqa: E402
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType  # noqa: E402

from hosting import alexa_verifier as av  # noqa: E402  (must come before flask_ask_sdk: see its docstring)
from skill.edge import check_request  # noqa: E402

MAX_BODY_BYTES = 256 * 1024
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
UNVERIFIED_BANNER = (
    "\n" + "!" * 78 + "\n"
    "!!  ALEXA REQUEST VERIFICATION IS OFF (--no-verify / ALEXA_VERIFY=0).\n"
    "!!  Anyone who can reach this port can drive the skill. Local testing only; never expose it.\n" + "!" * 78
)


def verification_enabled(env: dict[str, str] | None = None) -> bool:
    value = (env if env is not None else os.environ).get("ALEXA_VERIFY", "1")
    return value.strip().lower() not in FALSE_WORDS


def project_skill(persistence_adapter: Any = None, skill_id: str | None = None) -> CustomSkill:
    """The same skill the Lambda hosts (``skill.build_skill``), here with the embedded SQLite persistence."""
    from skill import build_skill

    built: CustomSkill = build_skill(persistence_adapter=persistence_adapter, skill_id=skill_id)
    return built


def default_persistence_adapter() -> Any:
    """Embedded SQLite (``SKILL_DB_PATH``, else the user's XDG data dir): see hosting/sqlite_persistence.py."""
    from hosting.sqlite_persistence import SqlitePersistenceAdapter

    return SqlitePersistenceAdapter()


def create_app(
    skill: CustomSkill | None = None,
    *,
    verify: bool | None = None,
    skill_id: str | None = None,
    signature_verifier: av.AbstractVerifier | None = None,
    timestamp_verifier: av.AbstractVerifier | None = None,
) -> Flask:
    """App factory (also ``waitress-serve --call hosting.webservice:create_app``); None means "from the env"."""
    from flask_ask_sdk.skill_adapter import (  # type: ignore[import-untyped]
        VERIFY_SIGNATURE_APP_CONFIG,
        VERIFY_TIMESTAMP_APP_CONFIG,
        SkillAdapter,
    )

    verify = verification_enabled() if verify is None else verify
    if skill_id is None:
        skill_id = os.environ.get("SKILL_ID") or None
    skill = skill if skill is not None else project_skill(default_persistence_adapter(), skill_id)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # The stock verifiers need certvalidator/oscrypto and naive UTC clocks: ours replace them (before SkillAdapter).
    app.config[VERIFY_SIGNATURE_APP_CONFIG] = False
    app.config[VERIFY_TIMESTAMP_APP_CONFIG] = False
    verifiers: list[av.AbstractVerifier] = [av.SkillIdVerifier(skill_id)] if skill_id else []
    if verify:
        verifiers.append(timestamp_verifier or av.TimestampVerifier())
        verifiers.append(signature_verifier or av.AlexaSignatureVerifier())
    else:
        app.logger.warning(UNVERIFIED_BANNER)
    adapter = _parity_adapter_class(SkillAdapter)(skill=skill, skill_id=skill_id or "unset", verifiers=verifiers,
                                                  app=app)

    @app.post("/")
    def invoke() -> Response:
        g.request_type = _check_envelope()
        response: Response = adapter.dispatch_request()
        return response

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.get("/privacy")
    def privacy() -> Response:  # PRIVACY.md: HTML, or Markdown if preferred (hosting/privacy_page.py)
        from hosting import privacy_page

        return privacy_page.response(request.accept_mimetypes)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.name), exc.code or 500

    @app.after_request
    def log_outcome(response: Response) -> Response:
        app.logger.info("alexa %s -> %s", g.get("request_type", "-"), response.status_code)
        return response

    return app


def _check_envelope() -> str:
    """Refuse anything that is not a JSON request envelope before the SDK sees it; returns the request type."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("expected application/json")
    body = request.get_data(cache=True)  # 413 above MAX_CONTENT_LENGTH
    if not body:
        raise BadRequest("empty body")
    try:
        text = body.decode("utf-8")
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("body is not JSON") from None
    req = doc.get("request") if isinstance(doc, dict) else None
    if not isinstance(req, dict) or not isinstance(req.get("type"), str) or not isinstance(doc.get("version"), str):
        raise BadRequest("not an Alexa request envelope")
    problem = check_request(doc)  # the same bounds as the Lambda's entry (skill.builder.invoke)
    if problem is not None:
        current_app.logger.warning("request.refused code=%s", problem)
        raise BadRequest("request out of bounds")
    # A request type the SDK cannot read (newer than the SDK) is not refused here: after verification it gets
    # what the Lambda gives it (skill.builder.invoke), an empty response with the session handed back.
    request_type: str = req["type"][:64]
    return request_type


def _parity_adapter_class(skill_adapter: type) -> type:
    """flask-ask-sdk's SkillAdapter, dispatching through the Lambda's own entry (``skill.builder.invoke``) after the
    verifiers: the webservice answers every request exactly as the Lambda does (tests/webservice/test_parity.py).
    Built lazily: importing flask_ask_sdk needs hosting.alexa_verifier's oscrypto workaround first."""
    from ask_sdk_webservice_support.webservice_handler import WebserviceSkillHandler

    from skill.builder import invoke

    class ParityHandler(WebserviceSkillHandler):
        def verify_request_and_dispatch(self, http_request_headers: Any, http_request_body: str) -> Any:
            try:
                envelope = self._skill.serializer.deserialize(payload=http_request_body, obj_type=RequestEnvelope)
            except Exception:  # a type the SDK does not know: the verifiers read the raw JSON instead
                envelope = None
            for verifier in self._verifiers:
                verifier.verify(headers=http_request_headers, serialized_request_env=http_request_body,
                                deserialized_request_env=envelope)
            return invoke(self._skill, json.loads(http_request_body))

    class ParitySkillAdapter(skill_adapter):  # type: ignore[misc]
        def _create_webservice_handler(self, skill: CustomSkill, verifiers: list[Any]) -> None:
            self._webservice_handler = ParityHandler(skill=skill, verify_signature=False, verify_timestamp=False,
                                                     verifiers=verifiers or [])
            self._webservice_handler._add_custom_user_agent("flask-ask-sdk")

    return ParitySkillAdapter


def waitress_settings(threads: int = 8) -> dict[str, Any]:
    """waitress settings for slow and idle clients (its defaults let 99 idle half-sent connections block every
    new request): see the README's "Serving in production".

    - ``connection_limit``: connections open at once; the default 100 is filled by a handful of slow clients.
      Raised to 1000 (or the process's file limit less a margin), with ``asyncore_use_poll`` because select()
      fails beyond 1024 file descriptors.
    - ``channel_timeout``: a connection with no bytes either way for this long is closed (default 120 s). Alexa
      gives up after 8 s, so 10 s. ``cleanup_interval``: how often that is checked (default 30 s): 2 s.
    - ``max_request_body_size`` / ``max_request_header_size``: 256 KiB / 16 KiB, refused by waitress before Flask.
    - ``threads``: requests handled at once (a turn waits at most 4.5 s on storage); ``backlog`` for bursts.
    """
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = 1000 if soft == resource.RLIM_INFINITY else max(50, min(1000, soft - 64))
    return {
        "threads": threads,
        "connection_limit": limit,
        "channel_timeout": 10,
        "cleanup_interval": 2,
        "backlog": 1024,
        "asyncore_use_poll": True,
        "max_request_body_size": MAX_BODY_BYTES,
        "max_request_header_size": 16 * 1024,
        "expose_tracebacks": False,
        "ident": "",
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hosting.webservice", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-verify", action="store_true", help="skip signature/timestamp checks (local testing only)")
    p.add_argument("--serve", choices=["flask", "waitress"], default="flask", help="flask = development server")
    p.add_argument("--certfile", help="TLS certificate (PEM) for the flask server; else terminate TLS in a proxy")
    p.add_argument("--keyfile", help="TLS private key (PEM) for --certfile")
    p.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(verify=False if args.no_verify else None)
    if args.serve == "waitress":
        import waitress

        waitress.serve(app, host=args.host, port=args.port, **waitress_settings(args.threads))
    else:
        tls = (args.certfile, args.keyfile) if args.certfile else None
        app.run(host=args.host, port=args.port, ssl_context=tls)


if __name__ == "__main__":
    main()
