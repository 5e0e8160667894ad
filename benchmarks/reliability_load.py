"""Load: many conversations at once, every answer checked (see reliability_common.py), two ways:

1. the webservice under waitress (``python -m hosting.webservice --serve waitress``, its production settings) with
   the embedded SQLite store, driven over HTTP on 127.0.0.1;
2. ``lambda_function.lambda_handler`` in this process (a real Lambda context per turn) with DynamoDB on a moto
   server on 127.0.0.1 (a process of its own).

    .venv/bin/python benchmarks/reliability_load.py                 # 200 conversations at once, 3 sessions each
    .venv/bin/python benchmarks/reliability_load.py --quick         # smoke: 8 at once, 2 sessions

Prints a markdown table per target. Bounded (a fixed number of sessions) and loopback only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(ROOT / "lambda"), str(ROOT)) if p not in sys.path]

from benchmarks.alexa_client import http_transport, lambda_transport  # noqa: E402
from benchmarks.faultproxy import MotoProcess, create_table, moto_port  # noqa: E402
from benchmarks.reliability_common import Stats, check_records, households, report, run_all  # noqa: E402

TABLE = "reliability-load"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_up(url: str, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(url + "health", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def sqlite_reader(path: Path) -> Any:
    def read(owner: str) -> dict[str, Any]:
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute("SELECT field, value, stamp FROM fields WHERE owner = ?", (owner,)).fetchall()
        return {f: (json.loads(v) if v is not None else None, s) for f, v, s in rows}

    return read


def dynamodb_reader(table: Any) -> Any:
    from skill.persistence import from_decimal

    def read(owner: str) -> dict[str, Any]:
        item = from_decimal(table.get_item(Key={"id": owner}, ConsistentRead=True).get("Item") or {})
        return {k[2:]: (v, int(item.get("t." + k[2:], 0))) for k, v in item.items() if k.startswith("v.")} | {
            k[2:]: (None, int(v)) for k, v in item.items() if k.startswith("t.") and "v." + k[2:] not in item}

    return read


def run_waitress(n_households: int, sessions: int, seed: int, threads: int) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "skill.sqlite3"
        port = free_port()
        env = {**os.environ, "ALEXA_VERIFY": "0", "SKILL_DB_PATH": str(db), "LOG_LEVEL": "WARNING"}
        env.pop("SKILL_ID", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "hosting.webservice", "--serve", "waitress", "--no-verify", "--port", str(port),
             "--threads", str(threads)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_up(url, time.monotonic() + 30)
            tracks, owners = households(n_households, http_transport(url))
            start = time.monotonic()
            stats = run_all(tracks, owners, sessions, seed)
            elapsed = time.monotonic() - start
            check_records(tracks, owners, sqlite_reader(db), stats)
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
    return report(f"waitress ({threads} threads) + SQLite, {len(tracks)} conversations at once", stats,
                  {"elapsed": f"{elapsed:.1f} s", "turns per second": f"{len(stats.turns) / elapsed:.0f}"})


def lambda_module(env: dict[str, str]) -> Any:
    os.environ.update(env)
    spec = importlib.util.spec_from_file_location("lambda_function_load", ROOT / "lambda" / "lambda_function.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def aws_env(endpoint: str, table: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "TABLE_NAME": table, "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "LOG_LEVEL": "WARNING"}


def run_lambda(n_households: int, sessions: int, seed: int) -> list[str]:
    import boto3

    server = MotoProcess()
    try:
        endpoint = f"http://127.0.0.1:{moto_port(server)}"
        create_table(endpoint, TABLE)
        module = lambda_module(aws_env(endpoint, TABLE))
        tracks, owners = households(n_households, lambda_transport(module.lambda_handler))
        start = time.monotonic()
        stats: Stats = run_all(tracks, owners, sessions, seed)
        elapsed = time.monotonic() - start
        table = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=endpoint).Table(TABLE)
        check_records(tracks, owners, dynamodb_reader(table), stats)
    finally:
        server.stop()
    return report(f"lambda_handler + DynamoDB (moto server), {len(tracks)} conversations at once", stats,
                  {"elapsed": f"{elapsed:.1f} s", "turns per second": f"{len(stats.turns) / elapsed:.0f}"})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 2 households (8 conversations), 2 sessions")
    p.add_argument("--households", type=int, default=50, help="4 conversations each (default 50: 200 at once)")
    p.add_argument("--sessions", type=int, default=3)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=8, help="waitress threads")
    p.add_argument("--only", choices=["waitress", "lambda"])
    args = p.parse_args(argv)
    if args.quick:
        args.households, args.sessions = 2, 2
    import logging

    logging.getLogger("skill").setLevel(logging.CRITICAL)  # the in-process Lambda: keep the output to figures
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the moto server's request log
    lines = [f"## Reliability: load ({time.strftime('%Y-%m-%d')}, seed {args.seed}, {os.cpu_count()} cores)", ""]
    if args.only in (None, "waitress"):
        lines += [*run_waitress(args.households, args.sessions, args.seed, args.threads), ""]
    if args.only in (None, "lambda"):
        lines += [*run_lambda(args.households, args.sessions, args.seed), ""]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
