"""Benchmarks of the skill against a minimal ask-sdk-core hello-world skill, measured in the same run.

    .venv/bin/python benchmarks/run.py            # full run (about 2 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # CI smoke: few samples, same rows

Prints markdown: the machine, one table with our figure, the baseline's, their ratio, the target and PASS/FAIL,
and a table of conversation cost per scripted scenario (``benchmarks/scenarios/*.txt``, simulator scripts).

How each figure is measured
- DynamoDB: one ``moto`` server on 127.0.0.1 (a thread of this process, ephemeral port) with one pre-created
  table; every child process, ours and the baseline's alike, reaches it with ``AWS_ENDPOINT_URL_DYNAMODB``, dummy
  credentials, ``AWS_REGION`` and ``TABLE_NAME``. Nothing leaves the machine.
- Cold first response: a fresh ``python benchmarks/cold_start.py`` per sample, alternating ours and the
  baseline's (``benchmarks/hello_skill.py``). Two figures: inside the child from the top of the driver
  (import of the handler module + its first LaunchRequest), and the whole process as the parent sees it
  (interpreter start-up included). Medians; bytecode caches are warm (warm-up runs first), as in a built artifact.
- Warm turns: ``benchmarks/warm.py`` in one child process runs every scenario through
  ``lambda_function.lambda_handler`` round after round, and after each scenario the baseline answers as many
  LaunchRequests (one DynamoDB get + put each); p50/p99 per turn. Done twice: with the mocked DynamoDB, and with
  no persistence (``TABLE_NAME`` unset), which shows the skill's own work without the mock's cost.
- Knowledge load: ``load_knowledge()`` in a fresh process (median). Triage step: ``engine.answer`` +
  ``engine.next_step`` in this process along the all-"no" interview, p50 and p99.
- Artifact: ``.aws-sam/build/SkillFunction`` if built, else ``make -C lambda build-SkillFunction`` into a temporary
  directory (full mode only); unzipped size and file count, boto3/botocore left out; zipped size.
- Conversation cost: the first pass of each scenario. Questions before the disposition (the engine's count);
  words of each prompt (the outputSpeech as heard) and seconds at 150 words a minute; seconds as spoken by
  espeak-ng (``-m``, SSML) where installed; turns from a red flag being said (affirmed or volunteered) and
  confirmed new (its "is it new?" check answered: one short question, by design) to the first response carrying
  the urgent instruction for it (0 = that very response). Median questions before non-urgent advice (self-care,
  routine, prompt) over the scenarios, against issue 9's target of 9.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
LAMBDA = ROOT / "lambda"
SCENARIOS = sorted((BENCH / "scenarios").glob("*.txt"))
TABLE = "benchmark-skill"
REGION = "us-east-1"
WORDS_PER_MINUTE = 150
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")  # as lambda/Makefile leaves out

# Row names: tests/benchmarks checks that each is printed.
ROWS = (
    "Cold first response, in child (import handler + LaunchRequest)",
    "Cold first response, whole process (incl. interpreter start)",
    "Warm turn p50, DynamoDB (moto server)",
    "Warm turn p99, DynamoDB (moto server)",
    "Warm turn p50, no persistence",
    "Warm turn p99, no persistence",
    "Knowledge load, fresh process",
    "Triage step (engine.next_step; engine.answer)",
    "Lambda artifact without boto3",
    "Questions before the disposition (worst scenario)",
    "Prompt length, words (median / worst)",
    "Prompt time at 150 wpm, s (median / worst)",
    "Prompt time spoken by espeak-ng, s (median / worst)",
    "Red flag said and confirmed new → urgent instruction, turns (worst)",
    "Questions before non-urgent advice (median over scenarios)",
)


@dataclass
class Row:
    name: str
    ours: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "(info)"
    result: str = ""


# -- helpers --------------------------------------------------------------------------------------------------------
def pct(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(ns: float) -> str:
    return f"{ns / 1e6:.1f} ms"


def us(ns: float) -> str:
    return f"{ns / 1e3:.0f} µs" if ns >= 10_000 else f"{ns / 1e3:.1f} µs"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{dt.date.today().isoformat()} · {platform.platform()} · {os.cpu_count()} cores"
        f"{f' ({cpu})' if cpu else ''} · Python {platform.python_version()}"
    )


# -- DynamoDB on loopback ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def moto_dynamodb() -> Iterator[dict[str, str]]:
    """A moto server on 127.0.0.1 with the table created; yields the environment for the children.
    (moto's server needs flask and flask-cors, both in requirements-dev.txt.)"""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {
            "AWS_ENDPOINT_URL_DYNAMODB": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "TABLE_NAME": TABLE,
        }
        client = boto3.client(
            "dynamodb", region_name=REGION, endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"],
            aws_access_key_id="benchmark", aws_secret_access_key="benchmark",
        )
        client.create_table(
            TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        )
        yield env
    finally:
        server.stop()


def child_env(extra: dict[str, str] | None, persist: bool = True) -> dict[str, str]:
    """The children import the project as this process does: installed in the venv, or through the PYTHONPATH this
    process was given (kept; other PYTHON* settings are dropped)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith(("AWS_", "PYTHON")) and k != "PYTHONPATH") and k != "TABLE_NAME"}
    env.update(extra or {})
    if not persist:
        env.pop("TABLE_NAME", None)
    env["LOG_LEVEL"] = "INFO"  # the skill's default, as in Lambda
    return env


def run_child(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[dict[str, Any], int]:
    start = time.perf_counter_ns()
    proc = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    wall = time.perf_counter_ns() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} {args[1] if len(args) > 1 else ''} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout), wall


def launch_event() -> dict[str, Any]:
    from tools.simulator import Device, Session, envelope, launch_request

    device = Device(user_id="amzn1.ask.account.BENCHMARK-COLD")
    return envelope(launch_request(device.locale), Session(), device)


# -- 1. cold start ----------------------------------------------------------------------------------------------------
def cold_start(env: dict[str, str], runs: int, warmup: int) -> list[Row]:
    event = json.dumps(launch_event())
    inner: dict[str, list[int]] = {"skill": [], "hello": []}
    wall: dict[str, list[int]] = {"skill": [], "hello": []}
    parts: dict[str, list[tuple[int, int]]] = {"skill": [], "hello": []}
    for i in range(warmup + runs):
        order = ("skill", "hello") if i % 2 == 0 else ("hello", "skill")
        for target in order:
            out, took = run_child([str(BENCH / "cold_start.py"), target, event], child_env(env))
            if i >= warmup:
                inner[target].append(out["import_ns"] + out["first_ns"])
                parts[target].append((out["import_ns"], out["first_ns"]))
                wall[target].append(took)
    def split(target: str) -> str:
        imports = statistics.median(p[0] for p in parts[target])
        first = statistics.median(p[1] for p in parts[target])
        return f"import {ms(imports)} + first turn {ms(first)}"

    rows = []
    for name, data, detail in ((ROWS[0], inner, True), (ROWS[1], wall, False)):
        ours, base = statistics.median(data["skill"]), statistics.median(data["hello"])
        rows.append(Row(
            name, f"{ms(ours)} (median of {runs}{'; ' + split('skill') if detail else ''})",
            f"{ms(base)}{' (' + split('hello') + ')' if detail else ''}", f"{ours / base:.2f}×", "≤ 1.15×",
            verdict(ours / base <= 1.15),
        ))
    return rows


# -- 2. warm turns ----------------------------------------------------------------------------------------------------
def warm_turns(env: dict[str, str], rounds: int, warmup: int) -> tuple[list[Row], dict[str, Any]]:
    rows: list[Row] = []
    transcripts: dict[str, Any] = {}
    for persist, (p50_name, p99_name) in ((True, ROWS[2:4]), (False, ROWS[4:6])):
        out, _ = run_child([str(BENCH / "warm.py"), str(rounds), str(warmup), *map(str, SCENARIOS)],
                           child_env(env, persist=persist), timeout=600)
        ours, base = out["skill_ns"], out["hello_ns"]
        if persist:
            transcripts = out["transcripts"]
        n = f"{len(ours)} turns"
        for q, name in ((50, p50_name), (99, p99_name)):
            a, b = pct(ours, q), pct(base, q)
            gated = persist and q == 99
            rows.append(Row(name, f"{us(a)} ({n})", us(b), f"{a / b:.2f}×", "≤ 3×" if gated else "(info)",
                            verdict(a / b <= 3) if gated else ""))
    return rows, transcripts


# -- 3. knowledge and triage ------------------------------------------------------------------------------------------
def knowledge_load(runs: int) -> Row:
    loads = []
    for i in range(runs + 1):
        out, _ = run_child([str(BENCH / "cold_start.py"), "knowledge"], child_env(None, persist=False))
        if i:  # the first run warms the bytecode cache
            loads.append(out["load_ns"])
    med = statistics.median(loads)
    return Row(ROWS[6], f"{ms(med)} (median of {runs}; max {ms(max(loads))})", target="≤ 20 ms",
               result=verdict(med <= 20e6))


def triage_step(iterations: int) -> Row:
    from triage import engine
    from triage.knowledge import load_knowledge

    kb = load_knowledge()
    values = {"yes_no": "no", "duration": "P2W", "choice": "no"}
    steps: list[int] = []
    answers: list[int] = []
    clock = time.perf_counter_ns
    for i in range(iterations):
        state = engine.new_state(kb)
        step: Any = engine.next_step(state, kb)
        while isinstance(step, engine.Ask):
            t0 = clock()
            state = engine.answer(state, kb, values[step.question.type])
            t1 = clock()
            step = engine.next_step(state, kb)
            t2 = clock()
            if i >= iterations // 10:  # first tenth: warm-up
                answers.append(t1 - t0)
                steps.append(t2 - t1)
    p50 = pct(steps, 50)
    return Row(
        ROWS[7],
        f"next_step p50 {us(p50)}, p99 {us(pct(steps, 99))}; answer p50 {us(pct(answers, 50))}, "
        f"p99 {us(pct(answers, 99))} ({len(steps)} steps of the all-no interview)",
        target="≤ 50 µs (next_step p50)", result=verdict(p50 <= 50_000),
    )


# -- 4. artifact ------------------------------------------------------------------------------------------------------
def artifact(quick: bool) -> Row:
    built = ROOT / ".aws-sam" / "build" / "SkillFunction"
    if (built / "lambda_function.py").exists():
        when = dt.datetime.fromtimestamp((built / "lambda_function.py").stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        return _measure_artifact(built, f".aws-sam/build, {when}")
    if quick:
        return Row(ROWS[8], "not built (no .aws-sam/build; full mode builds it)", target="≤ 250 MB unzipped")
    with tempfile.TemporaryDirectory() as tmp:
        make = ["make", "-s", "-C", str(LAMBDA), "build-SkillFunction", f"ARTIFACTS_DIR={tmp}/a",
                f"PYTHON={sys.executable}"]
        proc = subprocess.run(make, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            return Row(ROWS[8], f"build failed: {proc.stderr.strip().splitlines()[-1:]}", target="≤ 250 MB unzipped")
        return _measure_artifact(Path(tmp) / "a", "built now with lambda/Makefile")


def _measure_artifact(path: Path, origin: str) -> Row:
    files = [p for p in path.rglob("*") if p.is_file() and p.relative_to(path).parts[0].split("-")[0]
             not in RUNTIME_PROVIDED]
    size = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for p in files:
                archive.write(p, p.relative_to(path))
        zipped = tmp.tell()
    mb = size / 1e6
    return Row(ROWS[8], f"{mb:.1f} MB unzipped, {zipped / 1e6:.1f} MB zipped, {len(files)} files ({origin})",
               target="≤ 250 MB unzipped (Lambda limit)", result=verdict(mb <= 250))


# -- 5. conversation cost ---------------------------------------------------------------------------------------------
@dataclass
class Cost:
    name: str
    turns: int
    questions: int | None
    disposition: str
    words: list[int]
    seconds_est: list[float]
    seconds_spoken: list[float] | None
    flag_turns: list[int]


def espeak_seconds(ssml_list: list[str]) -> list[float] | None:
    program = shutil.which("espeak-ng")
    if program is None:
        return None
    cache: dict[str, float] = {}
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        wav = str(Path(tmp) / "prompt.wav")
        for ssml in ssml_list:
            if ssml not in cache:
                subprocess.run([program, "-m", "-v", "en-us", "-w", wav, ssml], check=True,
                               capture_output=True, timeout=60)
                with wave.open(wav) as w:
                    cache[ssml] = w.getnframes() / w.getframerate()
            out.append(cache[ssml])
    return out


def conversation_cost(transcripts: dict[str, Any], speak: bool) -> list[Cost]:
    from skill.locale import strings_for
    from skill.speech import ssml_to_text
    from triage import engine
    from triage.knowledge import load_knowledge

    kb = load_knowledge()
    strings = strings_for("en-US")
    # What counts as the urgent instruction for a level: that disposition's headline as spoken ("..., because"),
    # or any more urgent one; for an emergency the spoken "Call 911 now."
    emergency_now = strings["emergency_now"].format(emergency_number=strings.emergency_number).rstrip(".")
    instruction: dict[int, list[str]] = {}
    for d in kb.dispositions.values():
        phrases = [emergency_now] if d.id == "emergency" else [d.headline.rstrip(".")]
        for level in range(d.level + 1):
            instruction.setdefault(level, []).extend(phrases)

    costs = []
    for name, turns in transcripts.items():
        texts = [ssml_to_text(str((t["response"].get("outputSpeech") or {}).get("ssml", ""))) for t in turns]
        ssml = [str((t["response"].get("outputSpeech") or {}).get("ssml", "")) for t in turns]
        questions: int | None = None
        disposition = "—"
        heard: set[str] = set()
        flag_turns: list[int] = []
        for i, turn in enumerate(turns):
            state = turn["attributes"].get("interview")
            if not isinstance(state, dict):
                continue
            step = engine.next_step(state, kb)
            if questions is None and isinstance(step, engine.Result):
                questions, disposition = step.questions_asked, step.disposition
            for flag in engine.red_flags_heard(state, kb):
                if flag in heard or (isinstance(step, engine.Ask) and step.question.follows):
                    continue  # (while an "is it new?" check is open the sign is not yet settled)
                heard.add(flag)
                floor = kb.findings[flag].floor
                phrases = instruction[kb.level(floor)] if floor else []
                later = [j - i for j in range(i, len(turns)) if any(p.lower() in texts[j].lower() for p in phrases)]
                flag_turns.append(later[0] if later else 10_000)
        words = [len(t.split()) for t in texts if t]
        costs.append(Cost(
            name=name, turns=len(turns), questions=questions, disposition=disposition, words=words,
            seconds_est=[w * 60 / WORDS_PER_MINUTE for w in words],
            seconds_spoken=espeak_seconds([s for s, t in zip(ssml, texts, strict=True) if t]) if speak else None,
            flag_turns=flag_turns,
        ))
    return costs


def cost_rows(costs: list[Cost]) -> list[Row]:
    words = [w for c in costs for w in c.words]
    est = [s for c in costs for s in c.seconds_est]
    questions = [(c.questions, c.name) for c in costs if c.questions is not None]
    spoken = [s for c in costs for s in (c.seconds_spoken or [])]
    flags = [t for c in costs for t in c.flag_turns]
    worst_q = max(questions) if questions else None
    spoken_text = (f"{statistics.median(spoken):.1f} / {max(spoken):.1f}" if spoken and costs[0].seconds_spoken
                   is not None else "not measured (espeak-ng not installed)")
    return [
        Row(ROWS[9], f"{worst_q[0]} ({worst_q[1]})" if worst_q else "—"),
        Row(ROWS[10], f"{statistics.median(words):.0f} / {max(words)} ({len(words)} prompts)"),
        Row(ROWS[11], f"{statistics.median(est):.1f} / {max(est):.1f}"),
        Row(ROWS[12], spoken_text),
        Row(ROWS[13], f"{max(flags)} ({len(flags)} red flags said)" if flags else "no red flag in the scenarios",
            target="0", result=verdict(bool(flags) and max(flags) == 0)),
        non_urgent_row(costs),
    ]


NON_URGENT = ("self_care", "routine", "prompt")  # advice that is not "today" or "now"
QUESTIONS_TARGET = 9  # issue 9: median questions before non-urgent advice


def non_urgent_row(costs: list[Cost]) -> Row:
    counts = sorted((c.questions, c.name) for c in costs if c.questions is not None and c.disposition in NON_URGENT)
    if not counts:
        return Row(ROWS[14], "no non-urgent scenario", target=f"≤ {QUESTIONS_TARGET}")
    med = statistics.median(q for q, _ in counts)
    listed = ", ".join(f"{name} {q}" for q, name in counts)
    return Row(ROWS[14], f"{med:g} ({listed})", target=f"≤ {QUESTIONS_TARGET}",
               result=verdict(med <= QUESTIONS_TARGET))


def cost_table(costs: list[Cost]) -> str:
    def mw(values: Sequence[float], fmt: str) -> str:
        return f"{format(statistics.median(values), fmt)} / {format(max(values), fmt)}" if values else "—"

    lines = [
        "| Scenario | Turns | Questions before disposition | Disposition | Words per prompt (median / worst) "
        "| s at 150 wpm (median / worst) | s espeak-ng (median / worst) | Red flag → instruction, turns |",
        "|---|---:|---:|---|---|---|---|---|",
    ]
    for c in costs:
        spoken = mw(c.seconds_spoken, ".1f") if c.seconds_spoken is not None else "not measured"
        flags = ", ".join(map(str, c.flag_turns)) or "— (none said)"
        lines.append(f"| {c.name} | {c.turns} | {c.questions if c.questions is not None else '—'} | {c.disposition} "
                     f"| {mw(c.words, '.0f')} | {mw(c.seconds_est, '.1f')} | {spoken} | {flags} |")
    return "\n".join(lines)


# -- the report -------------------------------------------------------------------------------------------------------
def table(rows: list[Row]) -> str:
    lines = ["| Metric | Ours | Baseline (hello world) | Ratio | Target | Result |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.ours} | {r.baseline} | {r.ratio} | {r.target} | {r.result} |" for r in rows]
    return "\n".join(lines)


def timed(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    log(f"{label}: {time.perf_counter() - start:.1f} s")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="few samples: a smoke run for CI (numbers are rough)")
    args = p.parse_args(argv)
    cold_runs, cold_warmup = (3, 1) if args.quick else (15, 2)
    rounds, warmup = (3, 1) if args.quick else (60, 3)
    steps = 50 if args.quick else 2000
    started = time.perf_counter()

    rows: list[Row] = []
    with moto_dynamodb() as env:
        rows += timed("cold start", lambda: cold_start(env, cold_runs, cold_warmup))
        warm, transcripts = timed("warm turns", lambda: warm_turns(env, rounds, warmup))
        rows += warm
    rows.append(timed("knowledge load", lambda: knowledge_load(5 if args.quick else 15)))
    rows.append(timed("triage step", lambda: triage_step(steps)))
    rows.append(timed("artifact", lambda: artifact(args.quick)))
    costs = timed("conversation cost", lambda: conversation_cost(transcripts, speak=True))
    rows += cost_rows(costs)

    mode = "quick (smoke: few samples, numbers are rough)" if args.quick else "full"
    print(f"## Benchmarks\n\n{machine()} · mode: {mode} · {time.perf_counter() - started:.0f} s\n")
    print(table(rows))
    print("\n### Conversation cost per scenario (`benchmarks/scenarios/`)\n")
    print(cost_table(costs))
    failed = [r.name for r in rows if r.result == "FAIL"]
    print(f"\n{len(failed)} target(s) missed" + (f": {'; '.join(failed)}" if failed else "") + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
