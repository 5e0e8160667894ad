"""Safety evaluation: clinical vignettes written from the article, run through the simulator's script mode.

    .venv/bin/python benchmarks/safety_eval.py                 # the report
    .venv/bin/python benchmarks/safety_eval.py -v              # and every vignette's outcome
    .venv/bin/python benchmarks/safety_eval.py --vignettes FILE

Each vignette (tests/safety/vignettes.yaml) and patient story (tests/safety/stories.yaml) is a list of utterances
fed to ``tools.simulator`` exactly as
``bin/simulate --script`` does (local NLU -> real request envelopes -> the in-process skill, no persistence).
The advice is read from the last result the skill gave: the card's "Advice: <headline>" line, mapped to a
disposition through the headlines in knowledge/rules.yaml, cross-checked with the session attribute ``last``;
the leading cause category from the card's first "Likely causes" line (or "none" when the card says no single
cause stands out).

Printed: emergency recall, immediate recall (advised at least "immediate" when the article says immediate
attention), exact-disposition accuracy, under-triage and over-triage counts, top-category accuracy, next to the
published reference for symptom checkers (Semigran et al., BMJ 2015;351:h3480: appropriate triage advice 57%
overall, 80% for emergencies). Exit status 1 if any emergency/immediate vignette is missed or any is under-triaged.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tools.nlu import DEFAULT_SKILL_ID, LocalNlu
from tools.simulator import Device, Simulator, in_process_transport, run_script
from triage import engine
from triage.knowledge import Knowledge, load_knowledge

ROOT = Path(__file__).resolve().parents[1]

VIGNETTES = ROOT / "tests" / "safety" / "vignettes.yaml"
STORIES = ROOT / "tests" / "safety" / "stories.yaml"  # patient stories (issue 9), the same script format
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

    @property
    def misheard(self) -> list[str]:
        """Turns where the script did not fit the conversation: Alexa did not take the words as an answer, or a
        line fell outside any session. A clean vignette has none, so it tests the path it claims to."""
        return [line for line in self.transcript.splitlines()
                if line.startswith(("Alexa: Sorry", "(no open session", "[error]"))]

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
def _nlu(locale: str) -> LocalNlu:
    return LocalNlu.for_locale(locale, skill_id=DEFAULT_SKILL_ID)


@cache
def _transport() -> Any:
    return in_process_transport(None, DEFAULT_SKILL_ID)  # no persistence: every vignette starts from nothing


class _Utterances(yaml.SafeLoader):
    """YAML without implicit booleans: an utterance "no", "yes", "on" or "off" stays the words people say."""


_Utterances.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_vignettes(path: Path = VIGNETTES) -> list[dict[str, Any]]:
    data = yaml.load(path.read_text("utf-8"), Loader=_Utterances)
    return list(data["vignettes"] if "vignettes" in data else data["stories"])


def load_all() -> list[dict[str, Any]]:
    """The article's vignettes and the patient stories, one table."""
    return load_vignettes(VIGNETTES) + load_vignettes(STORIES)


def cause_id(line: str, kb: Knowledge) -> str | None:
    """The first cause a card's "- <Category>, most likely: <cause>, ..." line names."""
    marker = "most likely: "
    if marker not in line:
        return None
    listed = line.split(marker, 1)[1].split(" (because", 1)[0].strip().lower()
    names = sorted(kb.causes.values(), key=lambda c: -len(c.name))  # a name may hold a comma
    for cause in names:
        if listed == cause.name.lower() or listed.startswith(cause.name.lower() + ", "):
            return cause.id
    return None


def category_id(line: str, kb: Knowledge) -> str | None:
    """The category a card's "- <Name>, most likely: ..." line names."""
    text = line.lstrip("- ").lower()
    for cat in kb.categories:
        if text.startswith(cat.name.lower()):
            return cat.id
    return None


def read_result(replies: Iterable[dict[str, Any]], kb: Knowledge) -> tuple[str | None, str | None, bool, str | None]:
    """(disposition, leading category, card and `last` agree, top cause) from the last reply that carried a result
    card."""
    headlines = {d.headline: d.id for d in kb.dispositions.values()}
    headlines.update({d.headline_other: d.id for d in kb.dispositions.values() if d.headline_other})
    for reply in reversed(list(replies)):
        content = str(((reply.get("response") or {}).get("card") or {}).get("content") or "")
        if not content.startswith("Advice:"):
            continue
        lines = content.splitlines()
        found = list({d for h, d in headlines.items() if h in lines[0]})
        disposition = found[0] if len(found) == 1 else None
        after = lines[lines.index("Likely causes:") + 1] if "Likely causes:" in lines else ""
        category = category_id(after, kb) if after.startswith("- ") else "none"
        last = (reply.get("sessionAttributes") or {}).get("last") or {}
        stored = (last.get("categories") or ["none"])[0]
        consistent = last.get("disposition") == disposition and stored == category
        return disposition, category, consistent, cause_id(after, kb)
    return None, None, False, None


def run_vignette(v: dict[str, Any]) -> Outcome:
    locale = v.get("locale", "en-US")
    replies: list[dict[str, Any]] = []
    transport = _transport()

    def recording(event: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = transport(event)
        replies.append(reply)
        return reply

    sim = Simulator(_nlu(locale), recording, Device(locale=locale))
    out = io.StringIO()
    run_script(sim, [str(u) for u in v["say"]], out)
    got, category, consistent, cause = read_result(replies, _kb())
    expect = v["expect"]
    return Outcome(v["id"], locale, expect["disposition"], got, expect.get("category", "none"), category,
                   consistent, out.getvalue(), heard(replies), expect.get("cause"), cause)


def heard(replies: list[dict[str, Any]]) -> tuple[str, ...]:
    """The findings of the last interview state the skill handed back."""
    kb = _kb()
    for reply in reversed(replies):
        state = (reply.get("sessionAttributes") or {}).get("interview")
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
        f"Safety evaluation: {m['n']} vignettes and patient stories (tests/safety/vignettes.yaml, stories.yaml), "
        f"via the simulator's script mode ({', '.join(locales)})",
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
