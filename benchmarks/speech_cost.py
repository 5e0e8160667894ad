"""Natural speech against the ideal path: turns and spoken seconds to reach the advice.

    python benchmarks/speech_cost.py

Each ideal scenario (``benchmarks/scenarios/<name>.txt``, the terse scripts ``benchmarks/run.py`` measures) has
natural-speech variants (``benchmarks/scenarios_natural/<name>.<who>.txt``, with ``# locale:``): the same person
and the same answers, said as an older person, a carer, a terse or an anxious speaker would, in that locale's
words, with questions back. Both go through the simulator's NLU and the real ``lambda_function.lambda_handler``
(session only, no persistence). Reported per variant: the disposition reached (it must be the ideal one), the
turns until the advice is first spoken and over the whole script, the skill's speech until the advice in seconds
at 150 words a minute, and the turns that were misunderstood (FallbackIntent). Target: at most 1.3 times the
ideal path's turns to the advice, with the same disposition and the same findings recorded when the advice is first
spoken (the same person and the same answers), and no line said after the session has ended (a variant left out of
step with the questions -- e.g. after the order of the questions changed -- would otherwise open a new session with
its left-over lines and still pass).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
WORDS_PER_MINUTE = 150
TARGET = 1.3


@dataclass
class Run:
    name: str
    locale: str
    disposition: str
    turns: int
    turns_to_advice: int
    seconds_to_advice: float
    seconds_total: float
    misunderstood: int
    findings: tuple[str, ...] = ()  # what the interview had recorded when the advice was first spoken
    after_end: int = 0  # script lines said after the session had ended (a script out of step with the questions)


def header(path: Path, key: str, default: str = "") -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"#\s*{key}:\s*(\S+)", line)
        if match:
            return match.group(1)
    return default


def run(path: Path) -> Run:
    os.environ.pop("TABLE_NAME", None)  # session only: nothing carried between scenarios
    sys.path[:0] = [p for p in (str(ROOT / "lambda"), str(ROOT)) if p not in sys.path]
    import lambda_function
    from skill.speech import ssml_to_text
    from tools.nlu import LocalNlu
    from tools.simulator import Device, Simulator, script_lines
    from triage import engine
    from triage.knowledge import load_knowledge

    kb = load_knowledge()
    locale = header(path, "locale", "en-US")
    replies: list[dict[str, Any]] = []

    def transport(event: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = lambda_function.lambda_handler(event, None)
        replies.append(reply)
        return reply

    nlu = LocalNlu.for_locale(locale)
    sim = Simulator(nlu, transport, Device(locale=locale, user_id=f"amzn1.ask.account.SPEECH-COST-{path.stem}"))
    turns = misunderstood = 0
    advice_turn: int | None = None
    disposition = "—"
    words_to_advice = words_total = after_end = 0
    findings: tuple[str, ...] = ()
    for line in script_lines(path.read_text(encoding="utf-8").splitlines()):
        if not line:
            continue
        if after_end or (turns and sim.session is None):
            after_end += 1  # the simulator would open a new session with it: the script is out of step
        if nlu.understand(line).intent == "AMAZON.FallbackIntent":
            misunderstood += 1
        before = len(replies)
        sim.hear(line)
        if len(replies) == before:
            continue
        turns += 1
        reply = replies[-1]
        speech = ((reply.get("response") or {}).get("outputSpeech") or {}).get("ssml", "")
        words = len(ssml_to_text(str(speech)).split())
        words_total += words
        if advice_turn is None:
            words_to_advice += words
            state = (reply.get("sessionAttributes") or {}).get("interview")
            if isinstance(state, dict):
                step = engine.next_step(state, kb)
                if isinstance(step, engine.Result):
                    advice_turn, disposition = turns, step.disposition
                    findings = tuple(sorted(engine.findings(engine.check_state(state, kb), kb)))
    return Run(path.stem, locale, disposition, turns, advice_turn or turns,
               words_to_advice * 60 / WORDS_PER_MINUTE, words_total * 60 / WORDS_PER_MINUTE, misunderstood,
               findings, after_end)


def main() -> int:
    ideal = {p.stem: p for p in sorted((BENCH / "scenarios").glob("*.txt"))}
    natural = sorted((BENCH / "scenarios_natural").glob("*.txt"))
    baseline = {name: run(path) for name, path in ideal.items()}
    print("| Scenario | Speaker (locale) | Disposition | Turns to advice (ideal) | Ratio | Turns, whole script "
          "(ideal) | Speech to advice, s at 150 wpm (ideal) | Misunderstood turns | Result |")
    print("|---|---|---|---:|---:|---:|---:|---:|---|")
    failed = 0
    for path in natural:
        name = header(path, "natural-variant-of")
        base = baseline[name]
        got = run(path)
        ratio = got.turns_to_advice / base.turns_to_advice
        why = [w for w, bad in (
            (f"more than {TARGET}x the turns", ratio > TARGET),
            ("another disposition", got.disposition != base.disposition),
            (f"other answers recorded: {', '.join(sorted(set(got.findings) ^ set(base.findings)))}",
             got.findings != base.findings),
            (f"{got.after_end} line(s) said after the session ended", got.after_end > 0),
        ) if bad]
        ok = not why
        failed += not ok
        who = path.stem.split(".", 1)[1]
        print(f"| {name} | {who} ({got.locale}) | {got.disposition}"
              + ("" if got.disposition == base.disposition else f" (ideal: {base.disposition})")
              + f" | {got.turns_to_advice} ({base.turns_to_advice}) | {ratio:.2f}× | {got.turns} ({base.turns}) "
              f"| {got.seconds_to_advice:.0f} ({base.seconds_to_advice:.0f}) | {got.misunderstood} "
              f"| {'PASS' if ok else 'FAIL: ' + '; '.join(why)} |")
    print(f"\nTarget: at most {TARGET}× the ideal path's turns to the advice, the same disposition and the same "
          f"answers recorded, and no line left over after the session ended. {failed} variant(s) missed it.")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
