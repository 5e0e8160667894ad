"""Safety evaluation: clinical vignettes written from the article and patient stories, played as conversations.

    .venv/bin/python benchmarks/safety_eval.py                 # the report
    .venv/bin/python benchmarks/safety_eval.py -v              # and every vignette's outcome
    .venv/bin/python benchmarks/safety_eval.py --vignettes FILE

The vignettes (tests/safety/conversations/vignettes.yaml) and patient stories (tests/safety/conversations/
stories.yaml) are conversation files (the format of tests/conversations.py): each a list of utterances heard
through the local NLU over the generated model, sent as real request envelopes to the in-process skill (no
persistence: every case starts from nothing), with the ``result`` the article or the cited rule asks for. The
advice is read from the last advice card of the conversation (``tests.conversations.result_of``): its headline
mapped to a disposition through knowledge/rules.yaml, cross-checked with the session attribute ``last``; the
leading cause category from the card's first "Likely causes" line (or "none" when the card says no single cause
stands out). ``tests/skill/test_conversations.py`` checks each case's result exactly; this script reports the
figures over all of them.

Printed: emergency recall, immediate recall (advised at least "immediate" when the article says immediate
attention), exact-disposition accuracy, under-triage and over-triage counts, top-category accuracy, next to the
published reference for symptom checkers (Semigran et al., BMJ 2015;351:h3480: appropriate triage advice 57%
overall, 80% for emergencies). Exit status 1 if any emergency/immediate vignette is missed or any is under-triaged.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skill import build_skill
from skill.speech import breaths
from tests import conversations
from tests.conversations import Conversation, Turn
from triage import engine
from triage.knowledge import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parents[1]

VIGNETTES = ROOT / "tests" / "safety" / "conversations" / "vignettes.yaml"
STORIES = ROOT / "tests" / "safety" / "conversations" / "stories.yaml"  # patient stories (issue 9)
REFERENCE = "Semigran et al., BMJ 2015 (23 symptom checkers): appropriate triage 57% overall, 80% for emergencies"
LEVELS = ("self_care", "routine", "prompt", "immediate", "emergency")


@dataclass(frozen=True)
class Outcome:
    id: str
    locale: str
    expected: str
    got: str | None  # None: the conversation never reached a result
    expected_category: str
    got_category: str | None
    consistent: bool  # the card and the session attribute `last` agree
    transcript: str
    findings: tuple[str, ...] = ()  # what the interview heard, at the end (knowledge finding ids)
    expected_cause: str | None = None  # the top specific cause expected, when the story names one
    got_cause: str | None = None  # the first cause of the card's first "Likely causes" line
    intents: tuple[str, ...] = ()  # the intent (or request type) each utterance was understood as
    volunteered: tuple[str, ...] = ()  # findings said on the person's own after the first answer
    misheard: tuple[str, ...] = ()  # utterances that did not fit the conversation (below)
    # every turn that gave advice (an advice card): its disposition and the plain words of each breath it spoke
    spoken: tuple[tuple[str | None, tuple[str, ...]], ...] = ()

    @property
    def under(self) -> bool:
        return self.got is None or LEVELS.index(self.got) < LEVELS.index(self.expected)

    @property
    def over(self) -> bool:
        return self.got is not None and LEVELS.index(self.got) > LEVELS.index(self.expected)


@cache
def _kb() -> Knowledge:
    return load_knowledge()


@cache
def _skill() -> Any:
    return build_skill()  # no persistence: every vignette starts from nothing


def load_vignettes(path: Path = VIGNETTES) -> list[dict[str, Any]]:
    return conversations.load(path)


def load_all() -> list[dict[str, Any]]:
    """The article's vignettes and the patient stories, one table."""
    return load_vignettes(VIGNETTES) + load_vignettes(STORIES)


def misheard(turns: list[Turn]) -> tuple[str, ...]:
    """Utterances that did not fit the conversation: Alexa did not take the words as an answer ("Sorry, ..."), or
    they fell outside any session (a new session that is not a launch, after the first utterance). A clean vignette
    has none, so it tests the path it claims to."""
    return tuple(t.words or t.intent for i, t in enumerate(turns)
                 if t.speech.startswith("Sorry") or (i > 0 and t.new and t.intent != "LaunchRequest"))


def run_vignette(v: dict[str, Any]) -> Outcome:
    locale = v.get("locale", "en-US")
    conv = Conversation(skill=_skill(), locale=locale)
    conversations.play(v, conv)
    advice = conversations.result_of(conv.turns)
    expect = v["result"]
    kb = _kb()
    volunteered = tuple(t.slot_ids["symptom"] for t in conv.turns[2:]
                        if t.intent == "VolunteerSymptomIntent" and t.slot_ids.get("symptom") in kb.findings)
    return Outcome(v["name"], locale, expect["disposition"], advice.disposition if advice else None,
                   expect.get("category", "none"), advice.category if advice else None,
                   bool(advice and advice.consistent), conv.transcript(), heard(conv.turns), expect.get("cause"),
                   advice.cause if advice else None, tuple(t.intent for t in conv.turns), volunteered,
                   misheard(conv.turns), spoken_results(conv.turns))


def spoken_results(turns: list[Turn]) -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    """Each advice as spoken: the turn's disposition (from its card) and its breaths (skill.speech.breaths)."""
    out = []
    for turn in turns:
        advice = conversations.result_of([turn])
        if advice is not None:
            out.append((advice.disposition, tuple(breaths(turn.ssml))))
    return tuple(out)


def heard(turns: list[Turn]) -> tuple[str, ...]:
    """The findings of the last interview state the skill handed back."""
    kb = _kb()
    for turn in reversed(turns):
        state = (turn.raw.get("sessionAttributes") or {}).get("interview")
        if state is not None:
            try:
                return engine.findings(engine.check_state(state, kb), kb)
            except engine.StateError:
                return ()
    return ()


def evaluate(vignettes: list[dict[str, Any]]) -> list[Outcome]:
    return [run_vignette(v) for v in vignettes]


def _pct(hit: int, total: int) -> str:
    return f"{100 * hit / total:5.1f}% ({hit}/{total})" if total else "  n/a"


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    emergency = [o for o in outcomes if o.expected == "emergency"]
    immediate = [o for o in outcomes if o.expected == "immediate"]
    return {
        "n": len(outcomes),
        "emergency_recall": (sum(o.got == "emergency" for o in emergency), len(emergency)),
        "immediate_recall": (sum(not o.under for o in immediate), len(immediate)),
        "exact": (sum(o.got == o.expected for o in outcomes), len(outcomes)),
        "under": [o.id for o in outcomes if o.under],
        "over": [o.id for o in outcomes if o.over],
        "category": (sum(o.got_category == o.expected_category for o in outcomes), len(outcomes)),
        "cause": (sum(o.got_cause == o.expected_cause for o in outcomes if o.expected_cause),
                  sum(1 for o in outcomes if o.expected_cause)),
        "inconsistent": [o.id for o in outcomes if o.got is not None and not o.consistent],
        "no_result": [o.id for o in outcomes if o.got is None],
        "misheard": [o.id for o in outcomes if o.misheard],
    }


def report(outcomes: list[Outcome], verbose: bool = False) -> str:
    m = metrics(outcomes)
    locales = sorted({o.locale for o in outcomes})
    lines = [
        f"Safety evaluation: {m['n']} vignettes and patient stories (tests/safety/conversations/vignettes.yaml, "
        f"stories.yaml), played as conversations ({', '.join(locales)})",
        "",
        f"  emergency recall            {_pct(*m['emergency_recall'])}   target 100%",
        f"  immediate recall            {_pct(*m['immediate_recall'])}   target 100% (advised immediate or more)",
        f"  exact-disposition accuracy  {_pct(*m['exact'])}",
        f"  under-triage                {len(m['under']):>3}                target 0  {' '.join(m['under'])}",
        f"  over-triage                 {len(m['over']):>3}                {' '.join(m['over'])}",
        f"  top-category accuracy       {_pct(*m['category'])}",
        f"  top specific cause accuracy {_pct(*m['cause'])}   target >= 90% (stories that name one)",
        f"  card/`last` disagreements   {len(m['inconsistent']):>3}                {' '.join(m['inconsistent'])}",
        f"  scripts not understood      {len(m['misheard']):>3}                {' '.join(m['misheard'])}",
        "",
        f"  reference: {REFERENCE}",
    ]
    mismatches = [o for o in outcomes if o.got != o.expected or o.got_category != o.expected_category
                  or (o.expected_cause and o.got_cause != o.expected_cause)]
    if mismatches or verbose:
        lines += ["", "  id                                        expected -> got (category expected -> got)"]
        for o in outcomes if verbose else mismatches:
            flag = "UNDER" if o.under else "over " if o.over else ("cat  " if o.got_category != o.expected_category
                                                                    else "cause" if o.expected_cause
                                                                    and o.got_cause != o.expected_cause else "ok   ")
            lines.append(f"  {flag} {o.id:<38} {o.expected} -> {o.got} ({o.expected_category} -> {o.got_category})"
                         + (f" [{o.expected_cause} -> {o.got_cause}]" if o.expected_cause else ""))
    return "\n".join(lines)


def safe(outcomes: list[Outcome]) -> bool:
    m = metrics(outcomes)
    recalled = all(m[key][0] == m[key][1] for key in ("emergency_recall", "immediate_recall"))
    return recalled and not m["under"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--vignettes", type=Path, default=None, help="one file (default: vignettes and stories)")
    p.add_argument("-v", "--verbose", action="store_true", help="list every vignette, not only mismatches")
    args = p.parse_args(argv)
    outcomes = evaluate(load_vignettes(args.vignettes) if args.vignettes else load_all())
    print(report(outcomes, args.verbose))
    return 0 if safe(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
