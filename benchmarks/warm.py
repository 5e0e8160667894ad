"""Child process of ``benchmarks/run.py``: warm turns, in-process, through both ``lambda_handler``s.

``python benchmarks/warm.py ROUNDS WARMUP SCENARIO.txt...`` prints one JSON document on stdout:
``skill_ns`` / ``hello_ns`` (one sample per turn, warm-up rounds left out) and ``transcripts`` (the first pass
of each scenario: per turn the utterance, the response and the session attributes).

Each scenario is a simulator script (``bin/simulate --script`` runs the same files): the utterances go through the
local NLU (``tools.nlu``, cached: it is not what is measured) and become Alexa request envelopes
(``tools.simulator``); only the ``lambda_handler`` call is timed, with ``time.perf_counter_ns``. Every round
must say exactly what the first pass said, or the run stops (a stored record changing the conversation would
otherwise go unnoticed). After each scenario the hello-world skill answers as many LaunchRequests (a new session
each, the same user), so both are sampled over the same stretch of time. The persistence (DynamoDB or none) is
whatever ``TABLE_NAME`` in the environment gives both modules.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

import hello_skill  # beside this script: the script's folder is on sys.path

import lambda_function
from tools.nlu import LocalNlu
from tools.simulator import Device, Session, Simulator, envelope, launch_request, script_lines

SKILL_USER = "amzn1.ask.account.BENCHMARK-SKILL-{}"
HELLO_USER = "amzn1.ask.account.BENCHMARK-HELLO"


class Timed:
    """A simulator transport that times the handler call and keeps what it saw."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.samples: list[int] = []
        self.replies: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        start = time.perf_counter_ns()
        reply: dict[str, Any] = self.handler(event, None)
        self.samples.append(time.perf_counter_ns() - start)
        self.replies.append(reply)
        return reply


def run_scenario(nlu: LocalNlu, user: str, lines: list[str]) -> tuple[list[int], list[dict[str, Any]]]:
    """One scripted conversation by a first-time user. With a store configured, the skill asks at the end whether
    to remember the advice: the user says no (a script does not depend on whether storage is on)."""
    transport = Timed(lambda_function.lambda_handler)
    sim = Simulator(nlu, transport, Device(user_id=SKILL_USER.format(user)))
    turns: list[dict[str, Any]] = []
    for line in lines:
        before = len(transport.replies)
        sim.hear(line)
        if len(transport.replies) != before + 1:
            raise SystemExit(f"scenario {user}: {line!r} did not make exactly one request")
        reply = transport.replies[-1]
        turns.append({
            "utterance": line,
            "response": reply.get("response") or {},
            "attributes": reply.get("sessionAttributes") or {},
        })
    if sim.session is not None and turns and turns[-1]["attributes"].get("pending") == "remember":
        lines = [*lines, "no"]
        sim.hear("no")
        turns.append({"utterance": "no", "response": transport.replies[-1].get("response") or {},
                      "attributes": transport.replies[-1].get("sessionAttributes") or {}})
    if sim.session is not None:
        heard = "\n".join(f"> {t['utterance']}\n  {t['response'].get('outputSpeech')}" for t in turns)
        raise SystemExit(f"scenario {user} does not end its session:\n{heard}")
    return transport.samples, turns


def hello_turns(count: int) -> list[int]:
    device = Device(user_id=HELLO_USER)
    samples = []
    for _ in range(count):
        event = envelope(launch_request(device.locale), Session(), device)
        start = time.perf_counter_ns()
        reply = hello_skill.lambda_handler(event, None)
        samples.append(time.perf_counter_ns() - start)
        if not reply["response"]["outputSpeech"]["ssml"]:
            raise SystemExit("hello: no speech")
    return samples


def said(turns: list[dict[str, Any]]) -> list[str]:
    return [str((t["response"].get("outputSpeech") or {}).get("ssml", "")) for t in turns]


def main() -> None:
    rounds, warmup = int(sys.argv[1]), int(sys.argv[2])
    scenarios = {Path(p).stem: [ln for ln in script_lines(Path(p).read_text().splitlines())] for p in sys.argv[3:]}
    nlu = LocalNlu.for_locale("en-US")
    nlu.understand = functools.lru_cache(maxsize=None)(nlu.understand)  # type: ignore[method-assign]
    transcripts: dict[str, list[dict[str, Any]]] = {}
    skill_ns: list[int] = []
    hello_ns: list[int] = []
    for r in range(warmup + rounds):
        for index, (name, lines) in enumerate(scenarios.items()):
            samples, turns = run_scenario(nlu, f"{r}-{index}", lines)
            if name not in transcripts:
                transcripts[name] = turns
            elif said(turns) != said(transcripts[name]):
                raise SystemExit(f"scenario {name}: round {r} said something else than the first pass")
            hello = hello_turns(len(samples))
            if r >= warmup:
                skill_ns.extend(samples)
                hello_ns.extend(hello)
    json.dump({"skill_ns": skill_ns, "hello_ns": hello_ns, "transcripts": transcripts}, sys.stdout)


if __name__ == "__main__":
    main()
