"""The reviewed knowledge as typed, immutable objects.

At run time (Lambda) the knowledge is read from ``knowledge/compiled.json`` with the standard library only;
``triage.compile`` builds that file from the clinician-edited YAML and validates it against the schema.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, cast

COMPILED_NAME = "compiled.json"
LEVELS = ("self_care", "routine", "prompt", "immediate", "emergency")


class KnowledgeError(ValueError):
    """The knowledge is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Cause:
    id: str
    category: str
    name: str
    spoken: str
    source: str
    features: Mapping[str, int]
    rare: bool = False  # the article calls it rare: said as rare when named
    common: bool = False  # the article calls it common: ranked first among equals


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    spoken: str
    source: str
    features: Mapping[str, int]
    causes: tuple[Cause, ...]


@dataclass(frozen=True)
class Citation:
    """A public page a rule beyond the article rests on: its address, the date it was read, and what it says in
    our own words (never copied)."""

    url: str
    read: str
    says: str


@dataclass(frozen=True)
class Clarify:
    """A red flag said in words that also name a routine finding ("my bum is numb": the buttocks, or numbness
    around the bottom?): while a question about the red flag is open, ``text`` asks which (findings.yaml)."""

    when_said: tuple[str, ...]
    text: str
    text_other: str | None = None

    def question(self, other: bool = False) -> str:
        return (self.text_other or self.text) if other else self.text


@dataclass(frozen=True)
class Detail:
    """One sign of a compound finding, as the person said it ("I've had a fever" of weight loss, fever or night
    sweats): the reason then names that sign only. ``words``: how the skill recognises it in what was said."""

    id: str
    reason: str
    named: str
    words: tuple[str, ...]
    reason_other: str | None = None


@dataclass(frozen=True)
class Finding:
    id: str
    reason: str
    source: str  # verbatim quote of the article; "" when the finding is `cited` instead
    floor: str | None = None
    warning: str | None = None
    red_flag: bool = False
    volunteer: bool = False
    denial: str | None = None  # "you have not lost control of your bladder or bowels": the explicit correction
    reason_other: str | None = None  # the reason when asking for someone else ("they have ...")
    denial_other: str | None = None
    cited: tuple[Citation, ...] = ()  # pages beyond the article (then `source` is "")
    named: str = ""  # a short noun phrase ("a burning feeling"), for "is it shingles?" answers
    details: Mapping[str, Detail] = field(default_factory=dict)  # the signs of a compound finding, by id
    covers: tuple[str, ...] = ()  # the red flags one question asks together ("any of these?"): see findings.yaml
    clarify: Clarify | None = None  # asked when a finding it names is said while a question about this one is open

    def because(self, other: bool = False, detail: str | None = None) -> str:
        """The "because ..." words: the one sign said (``detail``) when known, in the person's wording."""
        d = self.details.get(detail or "")
        if d is not None:
            return (d.reason_other or d.reason) if other else d.reason
        return (self.reason_other or self.reason) if other else self.reason

    def name(self, detail: str | None = None) -> str:
        d = self.details.get(detail or "")
        return d.named if d is not None else (self.named or self.warning or self.reason)


@dataclass(frozen=True)
class Option:
    id: str
    findings: tuple[str, ...]
    none: bool = False
    both: tuple[str, ...] = ()  # also recorded, as volunteered, when said with "both" ("both legs")


@dataclass(frozen=True)
class DurationRange:
    findings: tuple[str, ...]
    below: float | None = None  # seconds
    at_least: float | None = None


@dataclass(frozen=True)
class Variant:
    when: Any  # a condition, as in ask_if
    text: str
    reprompt: str
    text_other: str | None = None
    reprompt_other: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    phase: str
    type: str  # yes_no | choice | duration
    text: str
    reprompt: str
    plain: str | None = None
    short: str = ""  # the question in a few words, for repair after a miss
    explain: str = ""  # what the question means ("what does that mean?")
    why: str = ""  # what the answer rules out ("why are you asking?")
    slot_type: str | None = None
    ask_if: Any = None
    on_yes: tuple[str, ...] = ()
    on_no: tuple[str, ...] = ()
    on_unknown: tuple[str, ...] = ()  # recorded when the answer stays "I don't know" (opens questions one by one)
    options: tuple[Option, ...] = ()
    ranges: tuple[DurationRange, ...] = ()
    follows: str | None = None  # a red flag's "is it new?" check: the red-flag finding it follows
    variants: tuple[Variant, ...] = ()
    text_other: str | None = None  # wording when asking for someone else ("it's for my dad")
    plain_other: str | None = None
    reprompt_other: str | None = None
    multiple: bool = False  # choice only: several options may be named in one answer
    # a sign said in place of an answer that is this question's yes: (finding, the one detail of it said)
    yes_if_said: tuple[tuple[str, str], ...] = ()

    @property
    def is_red_flag(self) -> bool:
        return self.phase == "red_flag"

    @cached_property
    def possible_findings(self) -> frozenset[str]:
        ids = set(self.on_yes) | set(self.on_no) | set(self.on_unknown)
        for option in self.options:
            ids.update(option.findings)
        for rng in self.ranges:
            ids.update(rng.findings)
        return frozenset(ids)


@dataclass(frozen=True)
class Disposition:
    id: str
    level: int
    headline: str
    action: str
    source: str
    headline_other: str | None = None  # when asking for someone else
    action_other: str | None = None

    def for_person(self, other: bool) -> tuple[str, str]:
        """(headline, action) in the person's wording."""
        if other:
            return self.headline_other or self.headline, self.action_other or self.action
        return self.headline, self.action


@dataclass(frozen=True)
class Policy:
    default: str
    self_care_all: tuple[str, ...]
    self_care_no_evidence_for: tuple[str, ...]
    unknown_rephrase_once: bool
    unknown_floor: str
    stop_asking_at: str
    spoken_categories: int
    unknown_floor_for: Mapping[str, str] = field(default_factory=dict)  # a flag's floor -> floor when unknown
    self_care_overrides: tuple[str, ...] = ()  # findings whose floor the full self-care pattern sets aside
    self_care_with_any: tuple[str, ...] = ()  # ... when one of these (an article trigger) is present too
    ask_if_new: bool = True  # red flags get their "is it new?" check (questions with `follows`)


@dataclass(frozen=True)
class Knowledge:
    version: str
    categories: tuple[Category, ...]
    findings: Mapping[str, Finding]
    questions: tuple[Question, ...]
    dispositions: Mapping[str, Disposition]
    policy: Policy
    causes: Mapping[str, Cause] = field(init=False)
    questions_by_id: Mapping[str, Question] = field(init=False)
    feature_findings: frozenset[str] = field(init=False)  # findings that point to some cause or category
    highest_floor: Mapping[str, int] = field(init=False)  # question id -> most urgent level its answer can set
    links: Mapping[str, tuple[tuple[str, str | None, int], ...]] = field(init=False)  # finding -> (cat, cause, w)
    finding_order: Mapping[str, int] = field(init=False)
    disposition_at: Mapping[int, str] = field(init=False)  # level -> disposition id
    new_check: Mapping[str, Question] = field(init=False)  # red-flag finding -> its "is it new?" question

    def __post_init__(self) -> None:
        object.__setattr__(self, "causes", {c.id: c for cat in self.categories for c in cat.causes})
        object.__setattr__(self, "questions_by_id", {q.id: q for q in self.questions})
        features = {f for cat in self.categories for f in cat.features}
        features.update(f for cause in self.causes.values() for f in cause.features)
        object.__setattr__(self, "feature_findings", frozenset(features))
        highest = {
            q.id: max((self.level(self.findings[f].floor or "") for f in q.possible_findings
                       if self.findings[f].floor), default=-1)
            for q in self.questions
        }
        # a question that opens others (their ask_if names its findings: "any of these?" then each one) can lead to
        # their floors too
        gates = {r.id: condition_refs(r.ask_if) for r in self.questions}
        opens = {q.id: [r.id for r in self.questions if r is not q and not q.possible_findings.isdisjoint(gates[r.id])]
                 for q in self.questions}
        for _ in range(len(self.questions)):
            changed = False
            for q in self.questions:
                top = max((highest[r] for r in opens[q.id]), default=-1)
                if top > highest[q.id]:
                    highest[q.id], changed = top, True
            if not changed:
                break
        object.__setattr__(self, "highest_floor", highest)
        links: dict[str, list[tuple[str, str | None, int]]] = {}
        for cat in self.categories:
            for fid, weight in cat.features.items():
                links.setdefault(fid, []).append((cat.id, None, weight))
            for cause in cat.causes:
                for fid, weight in cause.features.items():
                    links.setdefault(fid, []).append((cat.id, cause.id, weight))
        object.__setattr__(self, "links", {f: tuple(v) for f, v in links.items()})
        object.__setattr__(self, "finding_order", {fid: i for i, fid in enumerate(self.findings)})
        object.__setattr__(self, "disposition_at", {d.level: d.id for d in self.dispositions.values()})
        object.__setattr__(self, "new_check", {q.follows: q for q in self.questions if q.follows})

    def level(self, disposition_id: str) -> int:
        return self.dispositions[disposition_id].level

    def category(self, category_id: str) -> Category:
        for cat in self.categories:
            if cat.id == category_id:
                return cat
        raise KeyError(category_id)

    @cached_property
    def gating(self) -> frozenset[str]:
        """Findings some question's ask_if (or variant) depends on: an answer that records one opens or closes
        other questions, so it is always worth asking."""
        out: set[str] = set()
        for q in self.questions:
            out |= condition_refs(q.ask_if)
            for v in q.variants:
                out |= condition_refs(v.when)
        return frozenset(out)

    @cached_property
    def red_flags(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings.values() if f.red_flag)

    @cached_property
    def clarified_by(self) -> Mapping[str, tuple[str, ...]]:
        """A finding said -> the red flags it may be mistaken for (their ``clarify``), in knowledge order."""
        out: dict[str, list[str]] = {}
        for f in self.findings.values():
            for said in f.clarify.when_said if f.clarify else ():
                out.setdefault(said, []).append(f.id)
        return {k: tuple(v) for k, v in out.items()}

    def group_asking(self, q: Question, finding_id: str) -> Finding | None:
        """The finding a yes to the yes/no question records that covers this one ("any of these?"), if any."""
        if q.type != "yes_no":
            return None
        return next((self.findings[f] for f in q.on_yes if finding_id in self.findings[f].covers), None)

    def asks_about(self, q: Question, finding_id: str) -> bool:
        """The yes/no question records this finding with a yes, or a finding that covers it."""
        return q.type == "yes_no" and (finding_id in q.on_yes or self.group_asking(q, finding_id) is not None)

    @cached_property
    def yes_no_for(self) -> Mapping[str, Question]:
        """Finding -> the yes/no question whose "yes" records it (the first, in asking order)."""
        out: dict[str, Question] = {}
        for q in self.questions:
            if q.type == "yes_no":
                for fid in q.on_yes:
                    out.setdefault(fid, q)
        return out


def condition_refs(cond: Any) -> set[str]:
    """The finding ids a condition (ask_if, a variant's if) names, at any depth."""
    if isinstance(cond, str):
        return {cond}
    out: set[str] = set()
    if isinstance(cond, dict):
        for value in cond.values():
            for sub in value if isinstance(value, list) else [value]:
                out |= condition_refs(sub)
    return out


# --- reading the compiled form -------------------------------------------------------------------------------

def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return obj[key]
    except (KeyError, TypeError):
        raise KnowledgeError(f"{where}: missing field '{key}'") from None


def _features(raw: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in (raw or {}).items()}


def _seconds(raw: Any) -> float | None:
    from triage.durations import parse_duration

    return None if raw is None else parse_duration(str(raw))


def from_dict(data: Mapping[str, Any], origin: str = COMPILED_NAME) -> Knowledge:
    """Build Knowledge from the compiled dict; KnowledgeError names the file and field on a gap."""
    categories: list[Category] = []
    for i, cat in enumerate(_get(data, "categories", origin)):
        where = f"{origin}: categories[{i}]"
        cid = _get(cat, "id", where)
        causes = tuple(
            Cause(
                id=_get(c, "id", f"{where}.causes[{j}]"),
                category=cid,
                name=_get(c, "name", f"{where}.causes[{j}]"),
                spoken=_get(c, "spoken", f"{where}.causes[{j}]"),
                source=_get(c, "source", f"{where}.causes[{j}]"),
                features=_features(c.get("features")),
                rare=bool(c.get("rare", False)),
                common=bool(c.get("common", False)),
            )
            for j, c in enumerate(_get(cat, "causes", where))
        )
        categories.append(
            Category(
                id=cid,
                name=_get(cat, "name", where),
                spoken=_get(cat, "spoken", where),
                source=_get(cat, "source", where),
                features=_features(cat.get("features")),
                causes=causes,
            )
        )
    findings: dict[str, Finding] = {}
    for i, f in enumerate(_get(data, "findings", origin)):
        where = f"{origin}: findings[{i}]"
        fid = _get(f, "id", where)
        findings[fid] = Finding(
            id=fid,
            reason=_get(f, "reason", where),
            source=str(f.get("source", "")),
            floor=f.get("floor"),
            warning=f.get("warning"),
            red_flag=bool(f.get("red_flag", False)),
            volunteer=bool(f.get("volunteer", False)),
            denial=f.get("denial"),
            reason_other=f.get("reason_other"),
            denial_other=f.get("denial_other"),
            cited=tuple(
                Citation(url=_get(c, "url", f"{where}.cited[{j}]"), read=str(_get(c, "read", f"{where}.cited[{j}]")),
                         says=_get(c, "says", f"{where}.cited[{j}]"))
                for j, c in enumerate(f.get("cited", ()))
            ),
            named=str(f.get("named") or ""),
            covers=tuple(f.get("covers", ())),
            clarify=None if f.get("clarify") is None else Clarify(
                when_said=tuple(_get(f["clarify"], "when_said", f"{where}.clarify")),
                text=_get(f["clarify"], "text", f"{where}.clarify"), text_other=f["clarify"].get("text_other")),
            details={
                did: Detail(id=did, reason=_get(d, "reason", f"{where}.details.{did}"),
                            named=_get(d, "named", f"{where}.details.{did}"),
                            words=tuple(str(w).lower() for w in _get(d, "words", f"{where}.details.{did}")),
                            reason_other=d.get("reason_other"))
                for did, d in (f.get("details") or {}).items()
            },
        )
        if not f.get("source") and not findings[fid].cited:
            raise KnowledgeError(f"{where}: needs a 'source' quote or a 'cited' page")
    questions: list[Question] = []
    for i, q in enumerate(_get(data, "questions", origin)):
        where = f"{origin}: questions[{i}]"
        try:
            ranges = tuple(
                DurationRange(
                    findings=tuple(_get(r, "findings", f"{where}.ranges[{j}]")),
                    below=_seconds(r.get("below")),
                    at_least=_seconds(r.get("at_least")),
                )
                for j, r in enumerate(q.get("ranges", ()))
            )
        except ValueError as exc:
            if isinstance(exc, KnowledgeError):
                raise
            raise KnowledgeError(f"{where}.ranges: {exc}") from None
        questions.append(
            Question(
                id=_get(q, "id", where),
                phase=_get(q, "phase", where),
                type=_get(q, "type", where),
                text=_get(q, "text", where),
                reprompt=_get(q, "reprompt", where),
                plain=q.get("plain"),
                short=str(q.get("short") or ""),
                explain=str(q.get("explain") or ""),
                why=str(q.get("why") or ""),
                slot_type=q.get("slot_type"),
                ask_if=q.get("ask_if"),
                on_yes=tuple(q.get("on_yes", ())),
                on_no=tuple(q.get("on_no", ())),
                on_unknown=tuple(q.get("on_unknown", ())),
                options=tuple(
                    Option(
                        id=_get(o, "id", f"{where}.options[{j}]"),
                        findings=tuple(o.get("findings", ())),
                        none=bool(o.get("none", False)),
                        both=tuple(o.get("both", ())),
                    )
                    for j, o in enumerate(q.get("options", ()))
                ),
                ranges=ranges,
                follows=q.get("follows"),
                yes_if_said=tuple((q.get("yes_if_said") or {}).items()),
                text_other=q.get("text_other"),
                plain_other=q.get("plain_other"),
                reprompt_other=q.get("reprompt_other"),
                multiple=bool(q.get("multiple", False)),
                variants=tuple(
                    Variant(when=_get(v, "if", f"{where}.variants[{j}]"),
                            text=_get(v, "text", f"{where}.variants[{j}]"),
                            reprompt=_get(v, "reprompt", f"{where}.variants[{j}]"), text_other=v.get("text_other"),
                            reprompt_other=v.get("reprompt_other"))
                    for j, v in enumerate(q.get("variants", ()))
                ),
            )
        )
    dispositions: dict[str, Disposition] = {}
    for i, d in enumerate(_get(data, "dispositions", origin)):
        where = f"{origin}: dispositions[{i}]"
        did = _get(d, "id", where)
        dispositions[did] = Disposition(
            id=did,
            level=int(_get(d, "level", where)),
            headline=_get(d, "headline", where),
            action=_get(d, "action", where),
            source=_get(d, "source", where),
            headline_other=d.get("headline_other"),
            action_other=d.get("action_other"),
        )
    pol = _get(data, "policy", origin)
    policy = Policy(
        default=_get(pol, "default", f"{origin}: policy"),
        self_care_all=tuple(_get(_get(pol, "self_care_when", f"{origin}: policy"), "all", f"{origin}: policy")),
        self_care_no_evidence_for=tuple(pol["self_care_when"].get("no_evidence_for", ())),
        unknown_rephrase_once=bool(_get(pol, "unknown_red_flag", f"{origin}: policy").get("rephrase_once", True)),
        unknown_floor=_get(pol["unknown_red_flag"], "floor", f"{origin}: policy.unknown_red_flag"),
        stop_asking_at=_get(pol, "stop_asking_at", f"{origin}: policy"),
        spoken_categories=int(_get(pol, "spoken_categories", f"{origin}: policy")),
        unknown_floor_for=dict(pol["unknown_red_flag"].get("floor_for", {})),
        self_care_overrides=tuple(pol["self_care_when"].get("overrides", ())),
        self_care_with_any=tuple(pol["self_care_when"].get("with_any", ())),
        ask_if_new=bool(pol.get("new_or_long_standing", {}).get("ask_after_yes", True)),
    )
    return Knowledge(
        version=str(_get(data, "version", origin)),
        categories=tuple(categories),
        findings=findings,
        questions=tuple(questions),
        dispositions=dispositions,
        policy=policy,
    )


def knowledge_dir() -> Path:
    """Where the knowledge lives: $KNOWLEDGE_DIR, else beside the code (built artifact), else the repo."""
    env = os.environ.get("KNOWLEDGE_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "knowledge", here.parent.parent / "knowledge"):
        if (candidate / COMPILED_NAME).is_file():
            return candidate
    return here.parent.parent / "knowledge"


@lru_cache(maxsize=4)
def load_knowledge(directory: str | None = None) -> Knowledge:
    """Load (once per process) the compiled knowledge."""
    path = Path(directory) if directory else knowledge_dir()
    compiled = path / COMPILED_NAME
    try:
        data = json.loads(compiled.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{compiled}: not found (run: python -m triage.compile)") from None
    except json.JSONDecodeError as exc:
        raise KnowledgeError(f"{compiled}: invalid JSON: {exc}") from None
    return from_dict(cast(Mapping[str, Any], data), origin=str(compiled.name))


def ids(items: Sequence[Any]) -> list[str]:
    return [str(item.id) for item in items]
