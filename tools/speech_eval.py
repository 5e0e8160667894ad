"""How well the skill understands people as they actually speak: the natural-speech corpus (``tests/speech/corpus``)
through the simulator's NLU (hassil over the generated models) and the real ``lambda_function.lambda_handler``.

    python -m tools.speech_eval            # the per-locale and per-kind table (markdown), held-out vs the rest
    python -m tools.speech_eval -v         # ... and every item not understood (tuning part only)
    python -m tools.speech_eval -v --held-out   # ... held-out failures too (look only after tuning is done)

Each item is put at its moment (a question open, the result given, the resume offer, or a new session), said
once, and judged by what the skill did: the answer recorded in the interview state (session attributes), the
finding volunteered (an emergency acted on in the same turn), nothing recorded for a negation, or the right kind of
response to a question back or a session word. The requests are the simulator's own envelopes
(``tools.simulator``); the clock is fixed (``EVAL_NOW``) so that "since Saturday" means the same every run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from tools import alexa_requests as requests
from tools.nlu import LOCALES, LocalNlu, normalize
from tools.simulator import Device, Session, Simulator

ROOT: Final = Path(__file__).resolve().parents[1]
CORPUS_DIR: Final = ROOT / "tests" / "speech" / "corpus"
HELD_OUT_PERCENT: Final = 27
# A Wednesday, mid-morning UTC: weekday names in the corpus are never "today".
EVAL_NOW: Final = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.UTC)
EMERGENCY: Final = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000", "en-IN": "112"}
ANY_MOMENTS: Final = ("significant_trauma", "severe", "duration", "spread_area", "diabetes_or_b12", "after_result",
                      "weight_loss_fever_sweats", "improves_with_movement")
# Questions back and session words: the intent that carries them (checked on the NLU's reading).
ASK_INTENTS: Final = {
    "explain": "ExplainQuestionIntent", "why": "WhyAskIntent", "how_many": "HowManyMoreIntent",
    "is_it": "IsItCauseIntent", "where_to_go": "WhereToGoIntent", "what_to_do": "WhatToDoIntent",
    "privacy": "PrivacyQuestionIntent", "explain_cause": "ExplainCauseIntent",
    "when_doctor": "WhenToSeeDoctorIntent", "warning_signs": "WarningSignsIntent",
}
SESSION_INTENTS: Final = {
    "repeat": ("AMAZON.RepeatIntent",), "skip": ("AMAZON.NextIntent",), "help": ("AMAZON.HelpIntent",),
    "stop": ("AMAZON.StopIntent", "AMAZON.CancelIntent"), "slower": ("SpeechRateIntent",),
    "faster": ("SpeechRateIntent",), "back": ("AMAZON.PreviousIntent",), "start_over": ("AMAZON.StartOverIntent",),
    "continue": ("AMAZON.ResumeIntent",), "resume": ("AMAZON.ResumeIntent", "AMAZON.YesIntent"),
    "more": ("AMAZON.MoreIntent", "AMAZON.YesIntent", "HearAboutCauseIntent"),
    "for_me": ("ForMyselfIntent",),
}


UNKNOWN = "unknown"  # in a plan: "I don't know" to that question

# Plausible answer plans, tried in order until the question is asked (the engine skips a question whose answer
# could no longer change the advice or the top cause, so one plan does not reach every question).
# "Does moving help?" (and what started it) is asked only when the numbness has lasted less than a day; the
# sudden / severe / spreading questions only after a yes to the grouped question (prompt_signs); the "is any of
# it new?" check of the grouped cauda equina question only after a yes to it.
PLANS: tuple[dict[str, str], ...] = (
    {"duration": "P2W", "spread_area": "legs_feet"},
    {"duration": "P2W", "spread_area": "back_only"},
    {"duration": "P2W", "spread_area": "feet_and_hands"},
    {"duration": "PT2H", "improves_with_movement": "yes", "trigger": "no_trigger", "spread_area": "legs_feet"},
    {"prompt_signs": "yes", "duration": "P2W", "spread_area": "legs_feet"},
    {"cauda_equina": "yes"},
    {"cauda_equina": UNKNOWN},  # "I don't know" (twice): the three signs one by one
)


@dataclass(frozen=True)
class Item:
    locale: str
    text: str
    at: str
    means: Any
    kind: str
    source: str  # file name

    @property
    def held_out(self) -> bool:
        return held_out(self.locale, self.text)


@dataclass
class Outcome:
    item: Item
    status: str  # "ok" | "miss" | "skipped"
    intent: str | None = None
    why: str = ""


def held_out(locale: str, text: str) -> bool:
    """Fixed before any tuning: a hash of the locale and the words, about 27% of the corpus."""
    digest = hashlib.sha256(f"{locale}|{text}".encode()).hexdigest()
    return int(digest, 16) % 100 < HELD_OUT_PERCENT


# --- loading -------------------------------------------------------------------------------------------------------

def load_corpus(directory: Path = CORPUS_DIR) -> list[Item]:
    items: list[Item] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in data.get("groups", []):
            items.extend(_group_items(group, path.name))
    return items


def _word(value: Any) -> Any:
    """YAML 1.1 reads a bare yes/no as a boolean: the corpus means the words."""
    return ("yes" if value else "no") if isinstance(value, bool) else value


def _group_items(group: dict[str, Any], source: str) -> Iterator[Item]:
    at = group["at"]
    moments = at if isinstance(at, list) else [at]
    shared = 0
    counter = 0
    for key in ("any_locale", *LOCALES):
        for entry in group.get(key) or []:
            if isinstance(entry, dict):
                text, means = str(_word(entry["say"])), _word(entry["means"])
            else:
                text, means = str(_word(entry)), _word(group["means"])
            if key == "any_locale":
                locale = LOCALES[shared % len(LOCALES)]
                shared += 1
            else:
                locale = key
            moment = moments[counter % len(moments)]
            counter += 1
            yield Item(locale, text, moment, means, str(_word(group["kind"])), source)


# --- putting the conversation at a moment --------------------------------------------------------------------------

class Harness:
    """The real Lambda handler, the simulator's NLU and envelopes, and interview states for every moment."""

    def __init__(self) -> None:
        import lambda_function  # the deployed entry point, as Lambda calls it (installed: see pyproject.toml)
        from triage import engine
        from triage.durations import parse_duration
        from triage.knowledge import load_knowledge

        self.handler: Callable[[dict[str, Any], Any], dict[str, Any]] = lambda_function.lambda_handler
        self.engine = engine
        self.parse_duration = parse_duration
        self.kb = load_knowledge()
        self.nlus = {loc: LocalNlu.for_locale(loc, now=lambda: EVAL_NOW) for loc in LOCALES}
        self._states: dict[str, dict[str, Any]] = {}
        self.replies: list[dict[str, Any]] = []

    def transport(self, event: dict[str, Any]) -> dict[str, Any]:
        event["request"]["timestamp"] = EVAL_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        reply = self.handler(event, None)
        self.replies.append(reply)
        return reply

    def state_at(self, question_id: str) -> dict[str, Any]:
        """An interview with ``question_id`` open, reached by a plausible path (no to red flags and warning
        signs, then the first of PLANS that asks it; "no" to the rest)."""
        if question_id in self._states:
            return self._states[question_id]
        for plan in PLANS:
            state = self._walk_to(question_id, plan)
            if state is not None:
                self._states[question_id] = state
                return state
        raise ValueError(f"question {question_id} is never asked on the evaluation paths")

    def _walk_to(self, question_id: str, plan: dict[str, str]) -> dict[str, Any] | None:
        eng, kb = self.engine, self.kb
        state: dict[str, Any] = eng.new_state(kb)
        for _ in range(60):
            q = eng.current_question(state, kb)
            if q is None:
                return None
            if q.id == question_id:
                return state
            value = plan.get(q.id, "no")
            state = eng.dont_know(state, kb) if value == UNKNOWN else eng.answer(state, kb, value)
        return None

    def finished_state(self) -> dict[str, Any]:
        eng, kb = self.engine, self.kb
        state = self.state_at("comes_and_goes_elsewhere")
        return dict(eng.answer(state, kb, "no"))

    def attributes_at(self, moment: str) -> dict[str, Any] | None:
        """Session attributes for a moment; None for a new session (the utterance opens the skill)."""
        if moment == "launch":
            return None
        if moment == "after_result":
            return {"interview": self.finished_state(), "pending": "result"}  # the advice said, the signs offered
        if moment == "resume_offer":
            return {"stored": self.state_at("weight_loss_fever_sweats"), "pending": "resume"}
        return {"interview": self.state_at(moment)}

    # --- one item ------------------------------------------------------------------------------------------------

    def run(self, item: Item) -> Outcome:
        unknown = _unknown_ids(item.means, self.kb)
        if unknown:
            return Outcome(item, "skipped", why=f"waiting for knowledge id(s) {', '.join(unknown)}")
        moment = item.at if item.at != "any" else ANY_MOMENTS[_stable(item.text) % len(ANY_MOMENTS)]
        nlu = self.nlus[item.locale]
        understanding = nlu.understand(item.text)
        sim = Simulator(nlu, self.transport, Device(locale=item.locale))
        attrs = self.attributes_at(moment)
        if attrs is not None:
            sim.session = Session(new=False, attributes=_copy(attrs))
        self.replies = []
        sim.hear(item.text)
        reply = self.replies[-1] if self.replies else {}
        before = attrs or {}
        verdict = self.check(item, moment, understanding.intent, understanding.slots, before, reply)
        return Outcome(item, "ok" if verdict is None else "miss", understanding.intent, verdict or "")

    def check(
        self,
        item: Item,
        moment: str,
        intent: str | None,
        slots: dict[str, Any],
        before: dict[str, Any],
        reply: dict[str, Any],
    ) -> str | None:
        """None if the skill did what the person meant, else why not."""
        eng, kb = self.engine, self.kb
        response = reply.get("response") or {}
        speech = _speech(response)
        after = reply.get("sessionAttributes") or {}
        old = (before.get("interview") or {}).get("events", [])
        state = after.get("interview") or {"events": [], "carried": []}
        new = state["events"][len(old):] if state["events"][: len(old)] == old else state["events"]
        try:
            present = set(eng.findings(eng.check_state(state, kb), kb)) if after.get("interview") else set()
        except eng.StateError:
            present = set()
        means = item.means
        q = kb.questions_by_id.get(moment)
        answers = [e for e in new if e[0] == "a"]

        def recorded(value: str) -> str | None:
            if q is None:
                return f"no question open at {moment}"
            want = value
            if q.type == "choice" and value == "no":
                want = next(o.id for o in q.options if o.none)
            if ["a", q.id, want] not in new:
                return f"expected {want!r} for {q.id}, got events {new} (intent {intent})"
            # a yes that may be an emergency (the grouped cauda equina question, or "yes, it's new" to the check of
            # an emergency sign) is acted on in the same turn, instruction first
            flagged = [*(q.on_yes if want == "yes" else ()), *((q.follows,) if want == "yes" and q.follows else ())]
            if any(kb.findings[f].floor == "emergency" for f in flagged):
                number = EMERGENCY[item.locale]
                if not speech.startswith(f"Call {number} now"):
                    return f"emergency not acted on in the same turn: {speech!r}"
            return None

        if means in ("yes", "no"):
            return recorded(means)
        if means == "dont_know":
            return None if q is not None and ["u", q.id] in new else f"expected not-known for {moment}, got {new}"
        if means == "partial":
            if q is None:
                return "no question open"
            cautious = eng.cautious_answer(q, kb)
            return recorded(cautious)
        if means == "start":
            first = kb.questions[0].text
            ok = "Welcome" in speech and first in speech and not response.get("shouldEndSession")
            return None if ok else f"expected the welcome and the first question, heard {speech!r} ({intent})"
        if not isinstance(means, dict):
            return f"unknown meaning {means!r}"
        if "duration" in means or "duration_at_least" in means or "duration_below" in means:
            got = [e[2] for e in answers if e[1] == "duration"]
            if not got:
                return f"no duration recorded (intent {intent}, events {new})"
            seconds = self.parse_duration(got[0])
            if "duration" in means and seconds != self.parse_duration(means["duration"]):
                return f"recorded {got[0]}, meant {means['duration']}"
            if "duration_at_least" in means and seconds < self.parse_duration(means["duration_at_least"]):
                return f"recorded {got[0]}, meant at least {means['duration_at_least']}"
            if "duration_below" in means and seconds >= self.parse_duration(means["duration_below"]):
                return f"recorded {got[0]}, meant below {means['duration_below']}"
            return None
        if "area" in means:
            areas = means["area"] if isinstance(means["area"], list) else [means["area"]]
            if not [e for e in answers if e[1] == "spread_area"]:
                return f"spread_area not answered (intent {intent}, events {new})"
            question = kb.questions_by_id["spread_area"]
            wanted = {f for o in question.options if o.id in areas for f in o.findings}
            answered = next(e[2:] for e in answers if e[1] == "spread_area")
            if len(areas) == 1 and answered != areas:
                return f"recorded {answered}, meant {areas[0]}"
            if not wanted <= present:
                return f"findings {sorted(present)} lack {sorted(wanted - present)}"
            if "finding" in means:  # "both legs": the cited red flag too, its instruction first in the same turn
                if means["finding"] not in present:
                    return f"{means['finding']} not recorded (events {new})"
                if not speech.startswith(f"Call {EMERGENCY[item.locale]} now"):
                    return f"emergency not acted on in the same turn: {speech!r}"
            return None
        if "choice" in means:  # an option of the open choice question, however it was said (answer or symptom)
            if q is None or q.type != "choice":
                return f"no choice question open at {moment}"
            option = next(o for o in q.options if o.id == means["choice"])
            if option.none:
                return recorded(option.id)
            others = {f for o in q.options for f in o.findings} - set(option.findings)
            if not set(option.findings) <= present:
                return f"findings {sorted(present)} lack {sorted(set(option.findings) - present)} (intent {intent})"
            if others & present:
                return f"also recorded {sorted(others & present)} (intent {intent})"
            return None
        if "trigger" in means:
            return recorded(means["trigger"])
        if "finding" in means:
            fid = means["finding"]
            if fid not in present:
                return f"{fid} not recorded (intent {intent}, events {new})"
            if kb.findings[fid].floor == "emergency":
                number = EMERGENCY[item.locale]
                if not speech.startswith(f"Call {number} now"):
                    return f"emergency not acted on in the same turn: {speech!r}"
            return None
        if "not" in means:
            fid = means["not"]
            if fid in present:
                return f"NEGATION RECORDED AS PRESENT: {fid}"
            if any(e[2] == "yes" for e in answers):
                return f"a yes was recorded: {new}"
            if q is not None and q.type == "yes_no" and fid in q.on_yes and ["a", q.id, "no"] not in new:
                return f"expected a no to {q.id}, got {new} (intent {intent})"
            # one sign denied while the question asks about several ("I haven't wet myself" to "bladder, peeing,
            # or numb between your legs?") is not a no to them all: asking again is right, recording a no is not
            asked = q.on_yes if q is not None and q.type == "yes_no" else ()
            if q is not None and fid in {c for f in asked for c in kb.findings[f].covers} and ["a", q.id, "no"] in new:
                return f"A DENIAL OF ONE SIGN RECORDED AS A NO TO ALL OF {q.id}: {new}"
            if response.get("shouldEndSession"):
                return "the session ended"
            return None
        if "ask" in means:
            want = ASK_INTENTS[means["ask"]]
            if intent != want:
                return f"understood as {intent}, meant {want}"
            if answers or response.get("shouldEndSession") or not speech:
                return f"answer recorded or session ended: {new}"
            if means["ask"] == "is_it":
                ids = requests.resolved_ids(slots.get("cause"))
                if means.get("cause") not in ids:
                    return f"cause understood as {ids}, meant {means.get('cause')}"
            if means["ask"] in ("explain", "why") and q is not None:
                text = q.explain if means["ask"] == "explain" else q.why
                if text not in speech:
                    return f"the {means['ask']} text of {q.id} was not said: {speech!r}"
            if means["ask"] == "how_many" and not re.search(r"more questions|last question|No more questions", speech):
                return f"no count heard: {speech!r}"
            return None
        if "session" in means:
            word = means["session"]
            if intent not in SESSION_INTENTS[word]:
                return f"understood as {intent}, meant {word}"
            ended = bool(response.get("shouldEndSession"))
            if word == "stop":
                return None if ended else "the session did not end"
            if ended:
                return "the session ended"
            if word == "skip":
                return None if q is not None and ["u", q.id] in new else f"not skipped: {new}"
            if word in ("slower", "faster"):
                return None if after.get("rate") == word else f"rate is {after.get('rate')}"
            if word == "resume":
                stored = before.get("stored") or {}
                resumed = (after.get("interview") or {}).get("events")
                return None if resumed == stored.get("events") else "the stored interview was not resumed"
            if word == "back":
                now = (after.get("interview") or {}).get("events")
                return None if now == old[:-1] else f"the last answer was not taken back: {now}"
            if word == "for_me" and after.get("person") == "other":
                return "still speaking in the third person"
            if word == "more":
                # yes to what the advice offers (the warning signs; its causes were said): then "anything else?"
                return None if after.get("pending") == "anything" else f"the offer was not taken: {speech!r}"
            return None if not answers else f"an answer was recorded: {new}"
        return f"unknown meaning {means!r}"


def _copy(value: Any) -> Any:
    return yaml.safe_load(yaml.safe_dump(value))


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def _speech(response: dict[str, Any]) -> str:
    ssml = str((response.get("outputSpeech") or {}).get("ssml", ""))
    text = re.sub(r"<[^>]+>", " ", ssml)
    text = text.replace("&#x27;", "'").replace("&amp;", "&").replace("&quot;", '"')
    return re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s+", " ", text)).strip()


def _unknown_id(means: Any) -> str:
    return str(means.get("finding", means.get("not", ""))) if isinstance(means, dict) else ""


def _unknown_ids(means: Any, kb: Any) -> list[str]:
    if not isinstance(means, dict):
        return []
    ids = [means[k] for k in ("finding", "not") if k in means]
    return [i for i in ids if i not in kb.findings]


# --- the report ----------------------------------------------------------------------------------------------------

@dataclass
class Report:
    """Rates by locale and kind. Generalisation is measured on the *unseen* held-out items: held out by the hash
    rule and not literally one of the model's samples (about half of the held-out lines are everyday phrases such as
    "what does that mean" that the model had before the corpus was written: they are counted, but as seen)."""

    outcomes: list[Outcome]
    emergency_ids: set[str] = field(default_factory=set)
    samples: dict[str, set[str]] = field(default_factory=dict)

    def seen(self, o: Outcome) -> bool:
        return normalize(o.item.text) in self.samples.get(o.item.locale, set())

    def unseen_held_out(self, o: Outcome) -> bool:
        return o.item.held_out and not self.seen(o)

    def rate(self, outcomes: Iterable[Outcome]) -> tuple[int, int]:
        done = [o for o in outcomes if o.status != "skipped"]
        return sum(o.status == "ok" for o in done), len(done)

    def by(self, key: Callable[[Outcome], str]) -> dict[str, tuple[int, int]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for o in self.outcomes:
            groups[key(o)].append(o)
        return {k: self.rate(v) for k, v in sorted(groups.items())}

    @property
    def emergencies(self) -> list[Outcome]:
        return [o for o in self.outcomes if isinstance(o.item.means, dict)
                and o.item.means.get("finding") in self.emergency_ids]

    @property
    def negations(self) -> list[Outcome]:
        return [o for o in self.outcomes if isinstance(o.item.means, dict) and "not" in o.item.means]

    @property
    def negations_recorded(self) -> list[Outcome]:
        return [o for o in self.negations if o.why.startswith("NEGATION RECORDED")]

    def held_out_rates(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(unseen held-out items, the rest that is not held out)."""
        return (self.rate(o for o in self.outcomes if self.unseen_held_out(o)),
                self.rate(o for o in self.outcomes if not o.item.held_out))

    def table(self) -> str:
        def pct(pair: tuple[int, int]) -> str:
            ok, n = pair
            return f"{100 * ok / n:.1f}% ({ok}/{n})" if n else "—"

        lines = ["| Locale | Understood | Held out, unseen | Held out, all | Rest (tuned on) |",
                 "|---|---:|---:|---:|---:|"]
        for locale in LOCALES:
            mine = [o for o in self.outcomes if o.item.locale == locale]
            unseen = self.rate(o for o in mine if self.unseen_held_out(o))
            held = self.rate(o for o in mine if o.item.held_out)
            tuned = self.rate(o for o in mine if not o.item.held_out)
            lines.append(f"| {locale} | {pct(self.rate(mine))} | {pct(unseen)} | {pct(held)} | {pct(tuned)} |")
        unseen_all, rest = self.held_out_rates()
        every_held = self.rate(o for o in self.outcomes if o.item.held_out)
        overall = pct(self.rate(self.outcomes))
        lines.append(f"| **all** | **{overall}** | {pct(unseen_all)} | {pct(every_held)} | {pct(rest)} |")
        lines += ["", "| Kind | Understood | " + " | ".join(LOCALES) + " |", "|---|---:|" + "---:|" * len(LOCALES)]
        for kind in sorted({o.item.kind for o in self.outcomes}):
            mine = [o for o in self.outcomes if o.item.kind == kind]
            cells = [pct(self.rate(o for o in mine if o.item.locale == loc)) for loc in LOCALES]
            lines.append(f"| {kind} | {pct(self.rate(mine))} | " + " | ".join(cells) + " |")
        skipped = [o for o in self.outcomes if o.status == "skipped"]
        waiting = sorted({_unknown_id(o.item.means) for o in skipped})
        negations = len(self.negations) - sum(o.status == "skipped" for o in self.negations)
        lines += [
            "",
            "Volunteered emergency phrasings understood and acted on in the same turn: "
            + pct(self.rate(self.emergencies)),
            f"Negated mentions recorded as present: {len(self.negations_recorded)} of {negations}",
            f"Items: {len(self.outcomes)}, of which {len(skipped)} skipped until the knowledge has the finding ids "
            + ", ".join(waiting),
        ]
        return "\n".join(lines)


def evaluate(items: list[Item] | None = None) -> Report:
    harness = Harness()
    outcomes = [harness.run(item) for item in (items if items is not None else load_corpus())]
    emergency_ids = {f.id for f in harness.kb.findings.values() if f.floor == "emergency"}
    return Report(outcomes, emergency_ids, {locale: model_samples(locale) for locale in LOCALES})


def model_samples(locale: str) -> set[str]:
    """Every sample of a locale's generated model, normalised (for the held-out check)."""
    from tools.nlu import load_model

    lm = load_model(locale)["interactionModel"]["languageModel"]
    return {normalize(s) for intent in lm["intents"] for s in intent.get("samples", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="list the items not understood")
    parser.add_argument("--held-out", action="store_true", help="with -v: list held-out failures too")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR,
                        help="a folder of corpus groups (default: the asserted corpus; tests/speech/probe: the probe)")
    args = parser.parse_args(argv)
    report = evaluate(load_corpus(args.corpus))
    print(report.table())
    if args.verbose:
        print()
        for o in report.outcomes:
            if o.status == "miss" and (args.held_out or not o.item.held_out):
                print(f"MISS {o.item.locale} [{o.item.kind} @ {o.item.at}] {o.item.text!r}: {o.why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
