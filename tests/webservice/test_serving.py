"""The two documented start commands really serve: the development CLI with waitress and ``waitress-serve --call``
on the app factory (127.0.0.1, a free port, verification off via the flag / env var)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hosting.webservice import parse_args
from tests.checkout import child_env

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = {
    "version": "1.0",
    "session": {"new": True, "sessionId": "s", "application": {"applicationId": "a"}, "user": {"userId": "u"}},
    "context": {"System": {"application": {"applicationId": "a"}, "user": {"userId": "u"}}},
    "request": {"type": "LaunchRequest", "requestId": "r", "timestamp": "2026-01-01T00:00:00Z", "locale": "en-US"},
}


def test_cli_defaults_are_local_and_verified():
    args = parse_args([])
    assert (args.host, args.port, args.no_verify, args.serve) == ("127.0.0.1", 5000, False, "flask")
    assert parse_args(["--no-verify", "--serve", "waitress"]).no_verify


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _post(url: str, deadline: float) -> tuple[int, bytes]:
    data = json.dumps(LAUNCH).encode()
    while True:
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize("how", ["cli", "waitress-serve"])
def test_production_start_commands_answer_a_launch(how, tmp_path):
    port = _free_port()
    env = {**child_env(), "ALEXA_VERIFY": "0", "SKILL_DB_PATH": str(tmp_path / "skill.sqlite3")}
    env.pop("SKILL_ID", None)
    bindir = Path(sys.executable).parent
    cmd = {
        "cli": [sys.executable, "-m", "hosting.webservice", "--serve", "waitress", "--port", str(port), "--no-verify"],
        "waitress-serve": [str(bindir / "waitress-serve"), "--listen", f"127.0.0.1:{port}", "--call",
                           "hosting.webservice:create_app"],
    }[how]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        status, body = _post(f"http://127.0.0.1:{port}/", time.monotonic() + 20)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert status == 200, err.decode()
    assert "outputSpeech" in json.loads(body)["response"]
    assert b"VERIFICATION IS OFF" in err
