"""Hostile inputs: a seeded corpus of bad requests sent to the webservice under waitress (its production settings,
signature verification on and off, SQLite store) over 127.0.0.1, and to ``lambda_function.lambda_handler`` in
process. Target: no HTTP 500 (nor a dropped connection) from the webservice, no exception and always a valid
Alexa response from the Lambda.

    .venv/bin/python benchmarks/hostile_inputs.py            # ~2,600 requests per target
    .venv/bin/python benchmarks/hostile_inputs.py --quick    # smoke: ~120

The corpus: deep nesting (100 to 100,000 levels, in session attributes, slots, context, the request), long strings,
wrong types in every field of the real events in ``events/`` (random mutations), forged repeat caches, and raw
bodies (random bytes, truncated JSON, invalid UTF-8, a BOM, huge numbers, empty, 300 KB, wrong content type).
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(ROOT / "lambda"), str(ROOT)) if p not in sys.path]

from benchmarks.reliability_load import free_port, wait_up  # noqa: E402

EVENTS = [json.loads(p.read_text()) for p in sorted((ROOT / "events").glob("*.json"))]


def nested(levels: int, kind: str = "dict") -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = {"a": value} if kind == "dict" else [value]
    return value


def hostile_values(rng: random.Random) -> Any:
    choices: list[Any] = [
        None, 0, -1, 2**70, 1.5, True, "", "x" * rng.choice([10, 1000, 10_000, 100_000]), [], {}, [None] * 50,
        nested(rng.choice([40, 496, 1000, 5000])), nested(rng.choice([40, 600, 3000]), "list"),
        {"said": {"speech": '<audio src="https://example.com/a.mp3"/>'}}, "<speak>", "\u0000\ud7ff", "é" * 5000,
    ]
    return rng.choice(choices)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths into the event, at most 12 deep (an earlier mutation may have planted deep nesting)."""
    if len(prefix) >= 12:
        return
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield (*prefix, i)
            yield from paths(value, (*prefix, i))


def mutate(event: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    doc = copy.deepcopy(event)
    for _ in range(rng.randint(1, 3)):
        all_paths = list(paths(doc))
        if not all_paths:
            break
        path = rng.choice(all_paths)
        parent: Any = doc
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and rng.random() < 0.2:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = hostile_values(rng)
    return doc


def corpus(n_mutations: int, seed: int) -> list[tuple[str, bytes, str]]:
    """(label, body, content type)."""
    rng = random.Random(seed)
    items: list[tuple[str, bytes, str]] = []

    def add(label: str, doc: Any) -> None:
        items.append((label, json.dumps(doc).encode(), "application/json"))

    base = next(e for e in EVENTS if e["request"]["type"] == "IntentRequest")
    for levels in (100, 495, 496, 1000, 5000):
        for where in ("session.attributes", "request.intent.slots", "context", "request"):
            doc = copy.deepcopy(base)
            target = doc
            *head, last = where.split(".")
            for key in head:
                target = target[key]
            target[last] = {"deep": nested(levels)} if where != "request" else {**doc["request"], "x": nested(levels)}
            add(f"nested {levels} in {where}", doc)
    for i in range(n_mutations):
        add(f"mutation {i}", mutate(rng.choice(EVENTS), rng))
    raw = [
        ("empty", b""), ("random bytes", bytes(rng.randrange(256) for _ in range(2000))),
        ("truncated JSON", json.dumps(base).encode()[:200]), ("invalid UTF-8", b'{"a": "\xff\xfe"}'),
        ("BOM", b"\xef\xbb\xbf" + json.dumps(base).encode()), ("huge number", b'{"request": {"type": 1e999999}}'),
        ("300 KB", json.dumps({**base, "pad": "y" * 300_000}).encode()),
        ("deep JSON 100k", b"[" * 100_000 + b"]" * 100_000), ("null", b"null"), ("a string", b'"LaunchRequest"'),
    ]
    items += [(label, body, "application/json") for label, body in raw]
    items.append(("wrong content type", json.dumps(base).encode(), "text/plain"))
    return items


def run_webservice(items: list[tuple[str, bytes, str]], verify: bool) -> tuple[Counter[int], list[str]]:
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {**os.environ, "ALEXA_VERIFY": "1" if verify else "0", "SKILL_DB_PATH": str(Path(tmp) / "s.db"),
               "LOG_LEVEL": "WARNING"}
        env.pop("SKILL_ID", None)
        cmd = [sys.executable, "-m", "hosting.webservice", "--serve", "waitress", "--port", str(port)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_up(f"http://127.0.0.1:{port}/", time.monotonic() + 30)
            for label, body, ctype in items:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                try:
                    conn.request("POST", "/", body=body, headers={"Content-Type": ctype})
                    resp = conn.getresponse()
                    resp.read()
                    statuses[resp.status] += 1
                    if resp.status >= 500:
                        failures.append(f"{label}: HTTP {resp.status}")
                except OSError as exc:
                    statuses[0] += 1
                    failures.append(f"{label}: {type(exc).__name__}")
                finally:
                    conn.close()
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
    return statuses, failures


def run_lambda(items: list[tuple[str, bytes, str]]) -> tuple[Counter[str], list[str]]:
    import logging

    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import ResponseEnvelope

    from skill import build_skill, invoke

    logging.getLogger("skill").setLevel(logging.CRITICAL)
    skill = build_skill()
    serializer = DefaultSerializer()
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    for label, body, ctype in items:
        try:
            event = json.loads(body)
        except (ValueError, RecursionError):
            continue  # the Lambda runtime never hands a handler a body that is not JSON
        if ctype != "application/json":
            continue
        try:
            reply = invoke(skill, event)
            serializer.deserialize(json.dumps(reply), ResponseEnvelope)
        except Exception as exc:
            outcomes["exception"] += 1
            failures.append(f"{label}: {type(exc).__name__}")
            continue
        response = reply.get("response") or {}
        outcomes["spoken" if response.get("outputSpeech") else "empty"] += 1
    return outcomes, failures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--mutations", type=int, default=2500)
    p.add_argument("--seed", type=int, default=13)
    args = p.parse_args(argv)
    items = corpus(80 if args.quick else args.mutations, args.seed)
    lines = [f"## Reliability: hostile inputs ({time.strftime('%Y-%m-%d')}, seed {args.seed}, "
             f"{len(items)} requests per target)", "", "| Target | Outcomes | 500s / failures | Result |",
             "|---|---|---|---|"]
    ok = True
    failures_all: list[str] = []
    for verify in (False, True):
        start = time.monotonic()
        statuses, failures = run_webservice(items, verify)
        took = time.monotonic() - start
        bad = sum(v for k, v in statuses.items() if k >= 500 or k == 0)
        ok &= bad == 0
        failures_all += failures
        outcome = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
        lines.append(f"| webservice (waitress), verification {'on' if verify else 'off'} | {outcome} ({took:.0f} s) "
                     f"| {bad} | {'PASS' if bad == 0 else 'FAIL'} |")
    outcomes, failures = run_lambda(items)
    ok &= not failures
    failures_all += failures
    outcome = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
    verdict = "PASS" if not failures else "FAIL"
    lines.append(f"| lambda_handler (JSON bodies) | {outcome} | {len(failures)} | {verdict} |")
    lines += [f"- {f}" for f in failures_all[:10]]
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
