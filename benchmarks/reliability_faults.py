"""Fault run: conversations at once through ``lambda_function.lambda_handler`` (a real Lambda context per turn, 7 s
as in template.yaml) with DynamoDB on a moto server behind the fault proxy (benchmarks/faultproxy.py), all on
127.0.0.1. Every DynamoDB request meets a fault with probability ``--fault-rate``, drawn (seeded) from: throttling,
500, 503, connection reset, stall (no answer for 3 s), trickle (the answer one byte every 50 ms) and late (held
2.5 s, past the client's timeout, then applied: a late write). Every answer is checked (reliability_common.py);
afterwards, with faults off and late writes landed, every record is checked.

    .venv/bin/python benchmarks/reliability_faults.py            # 20 households = 80 conversations at once, 4 sessions
    .venv/bin/python benchmarks/reliability_faults.py --quick    # smoke: 1 household, 2 sessions
    .venv/bin/python benchmarks/reliability_faults.py --faults trickle --fault-rate 1   # every call trickles

Targets (issue 13): 0 wrong answers, 0 lost records, 0 dropped red flags, worst turn under 7 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [p for p in (str(ROOT / "lambda"), str(ROOT)) if p not in sys.path]

from benchmarks.alexa_client import lambda_transport  # noqa: E402
from benchmarks.faultproxy import FAULTS, FaultProxy, MotoProcess, create_table, moto_port  # noqa: E402
from benchmarks.reliability_common import check_records, households, report, run_all  # noqa: E402
from benchmarks.reliability_load import aws_env, dynamodb_reader, lambda_module  # noqa: E402

TABLE = "reliability-faults"
TARGET_WORST_S = 7.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: 1 household (4 conversations), 2 sessions")
    p.add_argument("--households", type=int, default=20, help="4 conversations each")
    p.add_argument("--sessions", type=int, default=4)
    p.add_argument("--fault-rate", type=float, default=0.35)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--faults", default=",".join(f for f in FAULTS if f != "pass"),
                   help="comma-separated kinds to draw from (default: all)")
    args = p.parse_args(argv)
    if args.quick:
        args.households, args.sessions = 1, 2
    logging.getLogger("skill").setLevel(logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    import boto3

    faults = [f for f in args.faults.split(",") if f in FAULTS and f != "pass"]
    rng = random.Random(args.seed)
    rng_lock = threading.Lock()

    def choose(operation: str) -> str:
        with rng_lock:
            return rng.choice(faults) if rng.random() < args.fault_rate else "pass"

    server = MotoProcess()
    try:
        upstream = moto_port(server)
        create_table(f"http://127.0.0.1:{upstream}", TABLE)
        proxy = FaultProxy(upstream, stall_s=3.0, trickle_s=0.05, late_s=2.5, chooser=choose).start()
        module = lambda_module(aws_env(proxy.url, TABLE))
        tracks, owners = households(args.households, lambda_transport(module.lambda_handler, budget_ms=7000))
        start = time.monotonic()
        stats = run_all(tracks, owners, args.sessions, args.seed)
        elapsed = time.monotonic() - start
        proxy.chooser = None  # faults off
        landed = proxy.wait_late_writes(30)
        time.sleep(1.0)  # trickled answers still being relayed to abandoned calls
        table = boto3.resource("dynamodb", region_name="us-east-1",
                               endpoint_url=f"http://127.0.0.1:{upstream}").Table(TABLE)
        check_records(tracks, owners, dynamodb_reader(table), stats)
        injected = {k: v for k, v in sorted(proxy.counts.items()) if not k.endswith(":pass")}
        passed = sum(v for k, v in proxy.counts.items() if k.endswith(":pass"))
        proxy.stop()
    finally:
        server.stop()
    worst = max(stats.turns) if stats.turns else 0.0
    ok = not stats.wrong and not stats.lost and not stats.dropped_red_flags and worst < TARGET_WORST_S
    lines = [f"## Reliability: faults ({time.strftime('%Y-%m-%d')}, seed {args.seed}, {os.cpu_count()} cores)", ""]
    lines += report(
        f"lambda_handler + DynamoDB behind the fault proxy, {len(tracks)} conversations at once, "
        f"fault rate {args.fault_rate:.0%} ({', '.join(faults)})",
        stats,
        {
            "DynamoDB requests passed / faulted": f"{passed} / {sum(injected.values())}",
            "faults injected": ", ".join(f"{k} {v}" for k, v in injected.items()) or "none",
            "late writes all landed before the check": "yes" if landed else "NO",
            "elapsed": f"{elapsed:.1f} s",
            "target (0 wrong / 0 lost / 0 dropped / worst < 7 s)": "PASS" if ok else "FAIL",
        },
    )
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
