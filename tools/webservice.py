"""Self-hosted Alexa webservice: the project's skill behind flask-ask-sdk's ``SkillAdapter``.

Development:  python -m tools.webservice [--host 127.0.0.1] [--port 5000] [--no-verify]
Production:   python -m tools.webservice --serve waitress   (or: waitress-serve --call tools.webservice:create_app)

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

from skill.edge import check_request  # noqa: E402
from tools import alexa_verifier as av  # noqa: E402  (must come before flask_ask_sdk: see its docstring)

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
    """Embedded SQLite (``SKILL_DB_PATH``, else the user's XDG data dir): see tools/sqlite_persistence.py."""
    from tools.sqlite_persistence import SqlitePersistenceAdapter

    return SqlitePersistenceAdapter()


def create_app(
    skill: CustomSkill | None = None,
    *,
    verify: bool | None = None,
    skill_id: str | None = None,
    signature_verifier: av.AbstractVerifier | None = None,
    timestamp_verifier: av.AbstractVerifier | None = None,
) -> Flask:
    """App factory (also ``waitress-serve --call tools.webservice:create_app``); None means "from the env"."""
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
    adapter = SkillAdapter(skill=skill, skill_id=skill_id or "unset", verifiers=verifiers, app=app)

    @app.post("/")
    def invoke() -> Response:
        g.request_type = _check_envelope(skill)
        response: Response = adapter.dispatch_request()
        return response

    @app.get("/health")
    def health() -> Response:
        return jsonify(status="ok")

    @app.get("/privacy")
    def privacy() -> Response:  # PRIVACY.md: HTML, or Markdown if preferred (tools/privacy_page.py)
        from tools import privacy_page

        return privacy_page.response(request.accept_mimetypes)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.name), exc.code or 500

    @app.after_request
    def log_outcome(response: Response) -> Response:
        app.logger.info("alexa %s -> %s", g.get("request_type", "-"), response.status_code)
        return response

    return app


def _check_envelope(skill: CustomSkill) -> str:
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
    if not isinstance(req, dict) or not isinstance(req.get("type"), str):
        raise BadRequest("not an Alexa request envelope")
    problem = check_request(doc)  # the same bounds as the Lambda's entry (skill.builder.invoke)
    if problem is not None:
        current_app.logger.warning("request.refused code=%s", problem)
        raise BadRequest("request out of bounds")
    try:
        skill.serializer.deserialize(payload=text, obj_type=RequestEnvelope)
    except Exception:  # the SDK's messages quote the payload: never log them
        raise BadRequest("not an Alexa request envelope") from None
    request_type: str = req["type"][:64]
    return request_type


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
    p = argparse.ArgumentParser(prog="python -m tools.webservice", description=__doc__.splitlines()[0])
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
