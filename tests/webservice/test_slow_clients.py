"""Issue 13 defect 8: 99 idle half-sent connections must not block a new request (waitress's defaults did).
The documented production start command, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from hosting.webservice import waitress_settings
from tests.checkout import child_env
from tests.webservice.test_serving import LAUNCH, _free_port, _post

ROOT = Path(__file__).resolve().parents[2]


def test_settings_for_slow_and_idle_clients() -> None:
    settings = waitress_settings()
    assert settings["connection_limit"] >= 500 and settings["asyncore_use_poll"] is True
    assert settings["channel_timeout"] <= 10 and settings["cleanup_interval"] <= 2
    assert settings["max_request_body_size"] == 256 * 1024


def test_99_idle_half_sent_connections_do_not_block_a_new_request(tmp_path: Path) -> None:
    port = _free_port()
    env = child_env({**os.environ, "ALEXA_VERIFY": "0", "SKILL_DB_PATH": str(tmp_path / "skill.sqlite3")})
    env.pop("SKILL_ID", None)
    cmd = [sys.executable, "-m", "hosting.webservice", "--serve", "waitress", "--port", str(port), "--no-verify"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    idle: list[socket.socket] = []
    try:
        status, _ = _post(f"http://127.0.0.1:{port}/", time.monotonic() + 20)  # up and answering
        assert status == 200
        body = json.dumps(LAUNCH).encode()
        for _ in range(99):  # headers sent, the body never finished
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
            idle.append(s)
        time.sleep(0.5)
        start = time.monotonic()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=8) as resp:
            assert resp.status == 200
            assert "outputSpeech" in json.loads(resp.read())["response"]
        assert time.monotonic() - start < 3
    finally:
        for s in idle:
            s.close()
        proc.terminate()
        proc.communicate(timeout=10)
