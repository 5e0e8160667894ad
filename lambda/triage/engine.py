"""The triage interview: plain-JSON state in, next question or result out. Deterministic, no I/O.

State (lives in Alexa session attributes and the persistence store)::

    {"v": 2, "kb": "<knowledge version>", "events": [...], "carried": [<red-flag finding ids>]}

Events, in order: ``["a", question_id, value, ...]`` an answer (several option ids for a choice question marked
``multiple``: "my legs and my hands"), ``["u", question_id]`` "I don't know", ``["v", finding_id]`` a finding the
person volunteered, ``["d", finding_id, detail_id]`` straight after it: the one sign of a compound finding they
named ("I've had a fever"; a separate event, so that an older release salvaging this state still keeps the
finding), ``["r"]`` the result was given (written by ``volunteer``
when a finding arrives after the result: from then on the result is updated at once and the questions are never
reopened), ``["w", finding_id]`` a red flag explicitly withdrawn after a confirmation ("Just to be sure: you
have not ...?" -- yes). Everything else is derived by replaying them.

State versions: 2 added multi-option answers and volunteered details; a version-1 state is read as it is (every
version-1 event is a valid version-2 event). A state the engine cannot read is reduced to its red flags
(``salvage``).

New or long-standing: a red flag heard is followed at once by its "is it new?" question (``Question.follows``).
Until that is answered it counts as present; "no" makes it the person's *baseline* (not a red flag; later
questions adapt); "yes" or "I don't know" twice keeps it. A red flag is otherwise removed only by ``withdraw``.
``carried`` keeps red flags heard before a "start over" in the same session: once affirmed, a red flag
is never dropped (monotone safety).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from triage.durations import parse_duration
from triage.knowledge import Finding, Knowledge, Question, Variant

STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)
YES, NO = "yes", "no"
RESULT_GIVEN = "r"


class TriageError(ValueError):
    """Base for refusals the caller should turn into speech, never a crash."""


class InvalidAnswer(TriageError):
    def __init__(self, question_id: str, value: object) -> None:
        super().__init__(f"invalid answer for {question_id}")
        self.question_id = question_id
        self.value = value


class InterviewOver(TriageError):
    pass


class NeedsDetail(TriageError):
    """"Yes" to a question that wants a choice or a duration: ask which one, or how long."""

    def __init__(self, question: Question) -> None:
        super().__init__(f"{question.id} needs a {question.type}")
        self.question = question


class UndoBlocked(TriageError):
    """The last answer affirmed a red flag: it cannot be taken back."""


class NothingToUndo(TriageError):
    pass


class StateError(TriageError):
    """A stored state is malformed or from another knowledge version."""


# --- derived view ---------------------------------------------------------------------------------------------

@dataclass
class Interview:
    findings: dict[str, None] = field(default_factory=dict)  # ordered set, in the order heard
    answered: set[str] = field(default_factory=set)
    unknown: dict[str, int] = field(default_factory=dict)
    unknown_red_flags: list[str] = field(default_factory=list)  # finding ids, in question order
    asked: int = 0
    closed: bool = False  # the result was given: later findings update it, no question is asked again
    baseline: dict[str, None] = field(default_factory=dict)  # red flags the person has had for a long time
    checked: set[str] = field(default_factory=set)  # red flags whose "is it new?" question is settled
    withdrawn: set[str] = field(default_factory=set)  # red flags taken back through the explicit confirmation
    details: dict[str, str] = field(default_factory=dict)  # finding -> the one sign said (compound findings)
    replied: set[str] = field(default_factory=set)  # questions answered yes, no or a choice (not "I don't know")


@dataclass(frozen=True)
class Ask:
    question: Question
    rephrase: bool  # ask it in plainer words (after one "I don't know" to a red flag)
    number: int  # 1-based count of questions put so far, this one included
    wording: Variant | None = None  # other wording for this person (e.g. someone who cannot walk)

    @property
    def text(self) -> str:
        return self.words(other=False)[0]

    @property
    def reprompt(self) -> str:
        return self.words(other=False)[1]

    def words(self, other: bool) -> tuple[str, str]:
        """(question, reprompt) as said to this person; ``other``: asking for someone else ("it's for my dad")."""
        q, w = self.question, self.wording
        if other:
            reprompt = (w.reprompt_other or w.reprompt) if w else (q.reprompt_other or q.reprompt)
            if self.rephrase and q.plain:
                return q.plain_other or q.plain, reprompt
            return ((w.text_other or w.text) if w else (q.text_other or q.text)), reprompt
        reprompt = w.reprompt if w else q.reprompt
        if self.rephrase and q.plain:
            return q.plain, reprompt
        return (w.text if w else q.text), reprompt


@dataclass(frozen=True)
class CategoryResult:
    id: str
    score: int
    causes: tuple[str, ...]  # cause ids with evidence, strongest first
    reasons: tuple[str, ...]  # finding ids, strongest first


@dataclass(frozen=True)
class Result:
    disposition: str
    level: int
    categories: tuple[CategoryResult, ...]  # ranked; never empty
    evidence: bool  # False when no answer pointed to any category (all listed in knowledge order)
    urgent_reasons: tuple[str, ...]  # findings that set the disposition (red flags first)
    watch_list: tuple[str, ...]  # red-flag finding ids to watch for; unanswered ones first
    unknown_red_flags: tuple[str, ...]
    questions_asked: int
    baseline: tuple[str, ...] = ()  # long-standing signs, not red flags for this person
    details: Mapping[str, str] = field(default_factory=dict)  # finding -> the one sign the person named

    def to_codes(self) -> dict[str, Any]:
        """Codes only, for storage and logs-free summaries."""
        return {"disposition": self.disposition, "categories": [c.id for c in self.categories if c.score > 0]}


Step = Ask | Result


def _floor_level(kb: Knowledge, finding: Finding) -> int:
    return kb.level(finding.floor) if finding.floor else -1


def _holds(cond: Any, present: Mapping[str, None], baseline: Mapping[str, None] | None = None) -> bool:
    if cond is None:
        return True
    if isinstance(cond, str):
        return cond in present
    if "baseline" in cond:
        return baseline is not None and cond["baseline"] in baseline
    if "not" in cond:
        return not _holds(cond["not"], present, baseline)
    if "all" in cond:
        return all(_holds(c, present, baseline) for c in cond["all"])
    return any(_holds(c, present, baseline) for c in cond["any"])


def _answer_findings(q: Question, values: Sequence[str]) -> tuple[str, ...]:
    """The findings an answer records: ``values`` is the event's value part (several options for a multiple
    choice)."""
    value = values[0]
    if q.type == "yes_no":
        return q.on_yes if value == YES else q.on_no
    if q.type == "choice":
        chosen = set(values)
        return tuple(dict.fromkeys(f for opt in q.options if opt.id in chosen for f in opt.findings))
    seconds = parse_duration(value)
    for rng in q.ranges:
        if (rng.below is None or seconds < rng.below) and (rng.at_least is None or seconds >= rng.at_least):
            return rng.findings
    return ()


def _replay(kb: Knowledge, state: Mapping[str, Any]) -> Interview:
    iv = Interview()
    for fid in state.get("carried", ()):
        iv.findings[fid] = None
        iv.checked.add(fid)  # carried flags were heard in this session already: no second "is it new?"
    for event in state["events"]:
        kind = event[0]
        if kind == "a":
            q = kb.questions_by_id[event[1]]
            iv.asked += 1
            iv.answered.add(q.id)
            iv.replied.add(q.id)
            if q.follows:
                iv.checked.add(q.follows)
                if event[2] == NO:  # long-standing: the person's baseline, not a red flag
                    iv.findings.pop(q.follows, None)
                    iv.baseline[q.follows] = None
                continue
            for fid in _answer_findings(q, event[2:]):
                iv.findings[fid] = None
        elif kind == "u":
            q = kb.questions_by_id[event[1]]
            iv.asked += 1
            count = iv.unknown.get(q.id, 0) + 1
            iv.unknown[q.id] = count
            if q.is_red_flag and kb.policy.unknown_rephrase_once and count < 2:
                continue  # asked again, in plainer words
            iv.answered.add(q.id)
            for fid in q.on_unknown:  # e.g. "I don't know" to a grouped question: its signs are asked one by one
                iv.findings[fid] = None
            if q.follows:
                iv.checked.add(q.follows)  # not known to be long-standing: it stays a red flag
            elif q.is_red_flag:
                iv.unknown_red_flags.extend(f for f in q.on_yes if f not in iv.unknown_red_flags)
        elif kind == RESULT_GIVEN:
            iv.closed = True
        elif kind == "w":
            iv.findings.pop(event[1], None)
            iv.withdrawn.add(event[1])
        elif kind == "d":
            iv.details.setdefault(event[1], event[2])
        else:
            iv.findings[event[1]] = None
            iv.baseline.pop(event[1], None)
    # a volunteered (or carried) finding answers the questions that could have produced it; so does a sign known
    # to be long-standing or withdrawn
    known = {**iv.findings, **iv.baseline, **dict.fromkeys(iv.withdrawn)}
    for q in kb.questions:
        if q.id not in iv.answered and not q.possible_findings.isdisjoint(known):
            iv.answered.add(q.id)
    iv.unknown_red_flags = [f for f in iv.unknown_red_flags if f not in known and not _covered(kb, f, iv.answered)]
    # the most serious unknown first: it names the reason and heads the watch-list
    iv.unknown_red_flags.sort(key=lambda f: -_unknown_level(kb, f))
    return iv


def _covered(kb: Knowledge, finding_id: str, asked: set[str]) -> bool:
    """A grouped finding (``covers``: "any of these?") whose signs have each had their own question in ``asked``.
    With the questions answered at all, an unknown grouped red flag ("I don't know" to bladder, peeing or numbness
    between the legs) is settled (one still unknown is an unknown red flag itself); with those answered yes or no,
    a grouped yes is superseded by what they say (_superseded)."""
    covers = kb.findings[finding_id].covers
    return bool(covers) and all(c in kb.yes_no_for and kb.yes_no_for[c].id in asked for c in covers)


def _unknown_level(kb: Knowledge, finding_id: str) -> int:
    """The least advice when this red flag stays unknown: proportionate to the flag (rules.yaml)."""
    pol = kb.policy
    floor = kb.findings[finding_id].floor or ""
    return kb.level(pol.unknown_floor_for.get(floor, pol.unknown_floor))


def _superseded(kb: Knowledge, iv: Interview) -> frozenset[str]:
    """Findings that stand for "one of these" (``covers``: a yes to a grouped question) once each sign they cover has
    had its own question answered yes or no: those answers then say which, and the grouped yes no longer sets the
    advice. While any of them is unanswered or "I don't know", the grouped yes keeps its floor. A grouped red flag
    (cauda_equina_sign) is never superseded: a red flag is withdrawn only explicitly (rules.yaml), and its signs are
    asked one by one only after "I don't know" to it, so a yes and "no" to each sign meet only when an interview
    carrying the yes replaces another (engine.with_red_flags) -- the yes keeps its emergency."""
    return frozenset(f for f in iv.findings if not kb.findings[f].red_flag and _covered(kb, f, iv.replied))


def _floor(kb: Knowledge, iv: Interview, set_aside: frozenset[str] = frozenset()) -> int:
    set_aside = set_aside | _superseded(kb, iv)
    level = max((_floor_level(kb, kb.findings[f]) for f in iv.findings if f not in set_aside), default=-1)
    for fid in iv.unknown_red_flags:
        level = max(level, _unknown_level(kb, fid))
    return level


def _pending_new_check(kb: Knowledge, iv: Interview) -> Question | None:
    """The "is it new?" question of a red flag heard whose newness is not settled yet: the most serious first."""
    if not kb.policy.ask_if_new:
        return None
    pending = [f for f in iv.findings if f in kb.new_check and f not in iv.checked]
    if not pending:
        return None
    return kb.new_check[max(pending, key=lambda f: _floor_level(kb, kb.findings[f]))]


def _matters(kb: Knowledge, q: Question, floor: int) -> bool:
    """Could the answer to q still change the result?"""
    raises = kb.highest_floor[q.id] > floor
    if floor >= kb.level(kb.policy.stop_asking_at):
        return raises
    return raises or not q.possible_findings.isdisjoint(kb.feature_findings) or not q.possible_findings.isdisjoint(
        kb.policy.self_care_all
    )


def _outcome(res: Result) -> tuple[str, str | None, str | None]:
    """What the person hears first: the disposition, the likeliest category and its likeliest cause."""
    if not res.evidence:
        return res.disposition, None, None
    top = res.categories[0]
    return res.disposition, top.id, top.causes[0] if top.causes else None


@dataclass
class _Outlook:
    """What the remaining answers could still do, computed once per step (see _could_change)."""

    res: Result
    cause_max: dict[str, int]  # cause -> its score with every remaining question answered in its favour
    category_max: dict[str, int]  # category -> the same, with its best cause
    lead_cause: int  # the leading cause's score now


def _outlook(kb: Knowledge, iv: Interview) -> _Outlook:
    res = _result(kb, iv)
    present = iv.findings
    still = set().union(*(r.possible_findings for r in kb.questions
                          if r.phase == "characterise" and r.id not in iv.answered)) - set(present)
    cause_now: dict[str, int] = {}
    cause_max: dict[str, int] = {}
    bonus_max: dict[str, int] = {}
    for fid in set(present) | still:
        for cat_id, cause_id, weight in kb.links.get(fid, ()):
            if cause_id is None:
                bonus_max[cat_id] = bonus_max.get(cat_id, 0) + weight
            else:
                cause_max[cause_id] = cause_max.get(cause_id, 0) + weight
                if fid in present:
                    cause_now[cause_id] = cause_now.get(cause_id, 0) + weight
    category_max = {cat.id: bonus_max.get(cat.id, 0) + max((cause_max.get(c.id, 0) for c in cat.causes), default=0)
                    for cat in kb.categories}
    leader = res.categories[0] if res.evidence else None
    lead_cause = cause_now.get(leader.causes[0], 0) if leader and leader.causes else 0
    return _Outlook(res, cause_max, category_max, lead_cause)


def _could_change(kb: Knowledge, iv: Interview, q: Question, look: _Outlook) -> bool:
    """Could the answer to q -- alone, or together with the answers still to come -- change the disposition, the
    top category or its top cause? The disposition is checked one answer ahead (floors and the self-care pattern
    are decided by single findings); the ranking by an upper bound: q matters when one of its findings points to a
    rival cause or category that could still reach the leader's score with every remaining question answered in
    its favour (ties count, so the bound never skips a question that could make a tie)."""
    res = look.res
    now = _outcome(res)
    answers: list[tuple[str, ...]] = [q.on_yes, q.on_no] if q.type == "yes_no" else (
        [o.findings for o in q.options] if q.type == "choice" else [r.findings for r in q.ranges])
    for found in answers:
        if all(f in iv.findings for f in found) or not _may_move_disposition(kb, res, found):
            continue
        trial = Interview(findings={**iv.findings, **dict.fromkeys(found)}, answered=iv.answered | {q.id},
                          unknown=iv.unknown, unknown_red_flags=iv.unknown_red_flags, asked=iv.asked,
                          baseline=iv.baseline, checked=iv.checked, withdrawn=iv.withdrawn)
        if _outcome(_result(kb, trial)) != now:
            return True
    leader = res.categories[0] if res.evidence else None
    for fid in q.possible_findings:
        for cat_id, cause_id, _ in kb.links.get(fid, ()):
            if leader is None or (cat_id != leader.id and look.category_max[cat_id] >= leader.score):
                return True  # a rival category could catch up (or nothing leads yet)
            if cat_id == leader.id and cause_id is not None:
                if not leader.causes:
                    return True  # the leading category names no cause yet: this could name one
                if cause_id != leader.causes[0] and look.cause_max.get(cause_id, 0) >= look.lead_cause:
                    return True  # a rival cause in the leading category could catch up
    return False


def _may_move_disposition(kb: Knowledge, res: Result, found: tuple[str, ...]) -> bool:
    """Cheap filter before trying an answer: only a floor above the advice, or a finding the self-care pattern
    depends on, can move the disposition (the ranking is bounded separately)."""
    pol = kb.policy
    pattern = set(pol.self_care_all) | set(pol.self_care_with_any) | set(pol.self_care_overrides)
    for fid in found:
        if _floor_level(kb, kb.findings[fid]) > res.level or fid in pattern:
            return True
        if res.disposition == "self_care" and any(cat in pol.self_care_no_evidence_for
                                                  for cat, _, _ in kb.links.get(fid, ())):
            return True
    return False


def _next_question(kb: Knowledge, iv: Interview) -> Ask | None:
    return _next_step(kb, iv)[0]


def _next_step(kb: Knowledge, iv: Interview) -> tuple[Ask | None, Result | None]:
    """The next question, or None with the result when it was computed on the way (else None)."""
    if iv.closed:
        return None, None
    emergency = kb.level("emergency")
    settled = [f for f in iv.findings if f in iv.checked or f not in kb.new_check]
    if max((_floor_level(kb, kb.findings[f]) for f in settled), default=-1) >= emergency:
        return None, None  # an emergency settled: nothing else may delay the instruction
    check = _pending_new_check(kb, iv)
    if check is not None:  # before anything else, even before the emergency instruction of the sign it checks
        return Ask(question=check, rephrase=iv.unknown.get(check.id, 0) >= 1, number=iv.asked + 1), None
    if _floor(kb, iv) >= emergency:
        return None, None
    # a finding the self-care pattern may set aside (a positional sudden onset) does not yet stop the questions
    # that could still raise the advice above it
    # nor does a grouped yes ("sudden, severe or spreading?") stop the questions that say which one it was
    floor = _floor(kb, iv, frozenset(kb.policy.self_care_overrides) | {f for f in iv.findings if kb.findings[f].covers})
    look: _Outlook | None = None
    for q in kb.questions:
        if q.follows or q.id in iv.answered or not _holds(q.ask_if, iv.findings, iv.baseline):
            continue
        if not _matters(kb, q, floor):
            continue
        if q.phase == "characterise" and q.possible_findings.isdisjoint(kb.gating):
            look = look or _outlook(kb, iv)
            if not _could_change(kb, iv, q, look):
                continue  # no answer to it could change the advice or the likeliest cause
        rephrase = q.is_red_flag and iv.unknown.get(q.id, 0) >= 1
        wording = next((v for v in q.variants if _holds(v.when, iv.findings, iv.baseline)), None)
        return Ask(question=q, rephrase=rephrase, number=iv.asked + 1, wording=wording), None
    return None, (look.res if look is not None else None)


def _cause_rank(kb: Knowledge, cause_id: str, score: int, present: Mapping[str, None]) -> tuple[int, ...]:
    """Order of causes within a category: a rare cause (the article's "in rare instances") only leads with a feature
    of its own (weight 2) heard; then the score; ties broken by the strongest single feature heard, then by the
    article's frequency words (a "common" cause first), then file order (stable sort)."""
    cause = kb.causes[cause_id]
    own = max((w for f, w in cause.features.items() if f in present), default=0)
    held_back = cause.rare and own < 2
    return (held_back, -score, -own, not cause.common)


def _result(kb: Knowledge, iv: Interview) -> Result:
    present = iv.findings
    order = kb.finding_order
    # walk only the findings heard, through the knowledge's finding -> (category, cause, weight) links
    cause_score: dict[str, int] = {}
    category_bonus: dict[str, int] = {}
    weights: dict[str, dict[str, int]] = {cat.id: {} for cat in kb.categories}
    for fid in present:
        for cat_id, cause_id, weight in kb.links.get(fid, ()):
            if cause_id is None:
                category_bonus[cat_id] = category_bonus.get(cat_id, 0) + weight
            else:
                cause_score[cause_id] = cause_score.get(cause_id, 0) + weight
            if weight > weights[cat_id].get(fid, 0):
                weights[cat_id][fid] = weight
    scored: list[tuple[int, int, CategoryResult]] = []
    for index, cat in enumerate(kb.categories):
        ranked = sorted((c.id for c in cat.causes if c.id in cause_score),
                        key=lambda c: _cause_rank(kb, c, cause_score[c], present))
        score = category_bonus.get(cat.id, 0) + (cause_score[ranked[0]] if ranked else 0)
        top = kb.causes[ranked[0]].features if ranked else {}
        w = weights[cat.id]
        # reasons: what points to the leading cause first, strongest first; then the rest
        reasons = tuple(sorted(w, key=lambda f: (f not in top, -top.get(f, 0), -w[f], order[f])))
        scored.append((score, index, CategoryResult(cat.id, score, tuple(ranked), reasons)))
    # ties between categories: the stronger leading cause (its own evidence), then the category's order
    top_score = {cat.id: cause_score.get(cat.causes[0], 0) if cat.causes else 0 for _, _, cat in scored}
    with_evidence = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], -top_score[s[2].id], s[1]))
    evidence = bool(with_evidence)
    categories = tuple(s[2] for s in (with_evidence or scored))

    pol = kb.policy
    base = kb.level(pol.default)
    score_of = {s[2].id: s[0] for s in scored}
    set_aside: frozenset[str] = frozenset()
    if all(f in present for f in pol.self_care_all) and not any(score_of[c] for c in pol.self_care_no_evidence_for):
        base = kb.level("self_care")
        if any(f in present for f in pol.self_care_with_any):
            set_aside = frozenset(pol.self_care_overrides)  # e.g. a positional sudden onset: rules.yaml
    floor = _floor(kb, iv, set_aside)
    level = max(base, floor)
    disposition = kb.disposition_at[level]

    quiet = set_aside | _superseded(kb, iv)
    urgent = [f for f in present
              if f not in quiet and _floor_level(kb, kb.findings[f]) == level and level > base]
    urgent.sort(key=lambda f: (not kb.findings[f].red_flag, order[f]))
    unknown = tuple(iv.unknown_red_flags)
    # a red flag that covers others (one question for several signs) is listed only while unknown: the signs it
    # covers have their own lines
    watch = list(unknown) + [f.id for f in kb.red_flags
                             if f.id not in unknown and f.id not in present and not f.covers]
    return Result(
        disposition=disposition,
        level=level,
        categories=categories,
        evidence=evidence,
        urgent_reasons=tuple(urgent),
        watch_list=tuple(watch),
        unknown_red_flags=unknown,
        questions_asked=iv.asked,
        baseline=tuple(iv.baseline),
        details={f: d for f, d in iv.details.items() if f in present},
    )


# --- public API ------------------------------------------------------------------------------------------------

def new_state(kb: Knowledge, carried: Iterable[str] = ()) -> dict[str, Any]:
    return {"v": STATE_VERSION, "kb": kb.version, "events": [], "carried": list(carried)}


def check_state(state: object, kb: Knowledge) -> dict[str, Any]:
    """Return the state if it is well formed and current for this knowledge; StateError otherwise."""
    if not isinstance(state, dict):
        raise StateError("state is not an object")
    version = state.get("v")
    if type(version) is not int or version not in READABLE_VERSIONS or state.get("kb") != kb.version:
        raise StateError("state is from another version")
    events, carried = state.get("events"), state.get("carried", [])
    if not isinstance(events, list) or not isinstance(carried, list):
        raise StateError("events or carried is not a list")
    for fid in carried:
        if not isinstance(fid, str) or fid not in kb.findings or not kb.findings[fid].red_flag:
            raise StateError("carried holds an unknown red flag")
    for event in events:
        if not _valid_event(kb, event):
            raise StateError("malformed event")
    return state


def _valid_event(kb: Knowledge, event: object) -> bool:
    if not isinstance(event, list) or not event or not all(isinstance(part, str) for part in event):
        return False
    if event[0] == "a" and len(event) >= 3 and event[1] in kb.questions_by_id:
        return _valid_values(kb.questions_by_id[event[1]], event[2:])
    if event[0] == "u" and len(event) == 2:
        return event[1] in kb.questions_by_id
    if event == [RESULT_GIVEN]:
        return True
    if event[0] == "w" and len(event) == 2:
        return event[1] in kb.findings and kb.findings[event[1]].red_flag
    if event[0] == "d" and len(event) == 3:
        return event[1] in kb.findings and event[2] in kb.findings[event[1]].details
    return event[0] == "v" and len(event) == 2 and event[1] in kb.findings


def _valid_values(q: Question, values: Sequence[str]) -> bool:
    """One valid value; or, for a choice marked ``multiple``, several different options, none of them the none
    option, in the knowledge's order."""
    if len(values) == 1:
        return _valid_value(q, values[0])
    order = [o.id for o in q.options if not o.none]
    return (q.type == "choice" and q.multiple and all(v in order for v in values)
            and list(values) == sorted(set(values), key=order.index))


def _valid_value(q: Question, value: str) -> bool:
    if q.type == "yes_no":
        return value in (YES, NO)
    if q.type == "choice":
        return any(o.id == value for o in q.options)
    try:
        return parse_duration(value) >= 0
    except ValueError:
        return False


def next_step(state: Mapping[str, Any], kb: Knowledge) -> Step:
    iv = _replay(kb, state)
    ask, res = _next_step(kb, iv)
    if ask is not None:
        return ask
    return res if res is not None else _result(kb, iv)


def current_question(state: Mapping[str, Any], kb: Knowledge) -> Question | None:
    step = next_step(state, kb)
    return step.question if isinstance(step, Ask) else None


def _with_event(state: Mapping[str, Any], event: list[str]) -> dict[str, Any]:
    return {**state, "events": [*state["events"], event]}


def answer(state: Mapping[str, Any], kb: Knowledge, value: str | Sequence[str],
           asking: Question | None = None) -> dict[str, Any]:
    """Answer the current question. yes_no: "yes"/"no"; choice: an option id, or "no" for its none option, or --
    for a choice marked ``multiple`` -- a list of option ids (a none option among places is dropped); duration: an
    ISO-8601 duration, or "no" (no length to give: recorded as "I don't know"). "Yes" to a choice or a duration
    raises NeedsDetail. ``asking``: the open question, when the caller has already computed it."""
    q = asking if asking is not None else current_question(state, kb)
    if q is None:
        raise InterviewOver("no question is open")
    if not isinstance(value, str):
        values = list(dict.fromkeys(value)) if isinstance(value, (list, tuple)) else []
        if q.type != "choice" or not values or not all(isinstance(v, str) for v in values):
            raise InvalidAnswer(q.id, value)
        order = [o.id for o in q.options]
        if not all(v in order for v in values):
            raise InvalidAnswer(q.id, value)
        places = [v for v in values if not next(o for o in q.options if o.id == v).none]
        if len(places) > 1 and not q.multiple:
            raise InvalidAnswer(q.id, value)
        value = sorted(places, key=order.index) if places else values[:1]
        if len(value) > 1:
            return _with_event(state, ["a", q.id, *value])
        value = value[0]
    if q.type != "yes_no" and value == YES:
        raise NeedsDetail(q)
    if q.type == "duration" and value == NO:
        return _with_event(state, ["u", q.id])
    if q.type == "choice" and value == NO:
        none = [o.id for o in q.options if o.none]
        if not none:
            raise InvalidAnswer(q.id, value)
        value = none[0]
    if q.type == "duration" and isinstance(value, str):
        value = value.strip().upper()
    if not isinstance(value, str) or not _valid_value(q, value):
        raise InvalidAnswer(q.id, value)
    return _with_event(state, ["a", q.id, value])


def answer_ahead(state: Mapping[str, Any], kb: Knowledge, question_id: str,
                 value: str | Sequence[str]) -> dict[str, Any]:
    """Record the answer to a question not asked yet, said on the person's own ("my back's been numb for two days",
    "it started after sleeping funny"): that question is then skipped. Only for questions that are not red flags
    (a red flag said on one's own is volunteered as a finding and gets its "is it new?" check), not answered yet,
    and while the interview is open; otherwise the state is returned unchanged. The value is checked as ``answer``
    checks it (InvalidAnswer, NeedsDetail)."""
    q = kb.questions_by_id.get(question_id)
    if q is None:
        raise InvalidAnswer(question_id, value)
    iv = _replay(kb, state)
    if q.is_red_flag or q.follows or q.id in iv.answered or iv.closed or _next_question(kb, iv) is None:
        return dict(state)
    return answer(state, kb, value, asking=q)


def dont_know(state: Mapping[str, Any], kb: Knowledge, asking: Question | None = None) -> dict[str, Any]:
    q = asking if asking is not None else current_question(state, kb)
    if q is None:
        raise InterviewOver("no question is open")
    return _with_event(state, ["u", q.id])


def volunteer(state: Mapping[str, Any], kb: Knowledge, finding_id: str, detail: str | None = None) -> dict[str, Any]:
    """Record a finding the person offered on their own, at any time. ``detail``: the one sign of a compound finding
    they named ("fever" of weight loss, fever or night sweats), so that the reason names what was said.

    After the result, the finding updates the result at once (more urgent advice first if it rose) and the
    interview stays closed: no question is reopened (a ``["r"]`` marker is recorded once, before the finding)."""
    finding = kb.findings.get(finding_id)
    if finding is None or not finding.volunteer or (detail is not None and detail not in finding.details):
        raise InvalidAnswer("volunteer", finding_id)
    iv = _replay(kb, state)
    if finding_id in iv.findings or finding_id in iv.baseline:  # heard already, or known to be long-standing
        return dict(state)
    if not iv.closed and _next_question(kb, iv) is None:
        state = _with_event(state, [RESULT_GIVEN])
    state = _with_event(state, ["v", finding_id])
    return state if detail is None else _with_event(state, ["d", finding_id, detail])


def _affirmed_red_flag(kb: Knowledge, event: list[str]) -> str | None:
    """The red flag this event affirmed (a yes, "yes, it's new", or said on the person's own), if any."""
    if event[0] == "v":
        return event[1] if kb.findings[event[1]].red_flag else None
    if event[0] == "a":
        q = kb.questions_by_id[event[1]]
        if q.follows:
            return q.follows if event[2] == YES else None
        return next((f for f in _answer_findings(q, event[2:]) if kb.findings[f].red_flag), None)
    return None


def _affirms_red_flag(kb: Knowledge, event: list[str]) -> bool:
    return _affirmed_red_flag(kb, event) is not None


def correctable(state: Mapping[str, Any], kb: Knowledge) -> str | None:
    """The red flag the last answer affirmed, if it is still present: "go back" then offers the explicit
    correction ("Just to be sure: <denial>?") instead of undoing it."""
    events = [e for e in state["events"] if e != [RESULT_GIVEN] and e[0] != "d"]  # a detail goes with its finding
    if not events:
        return None
    fid = _affirmed_red_flag(kb, events[-1])
    return fid if fid is not None and fid in _replay(kb, state).findings else None


def withdraw(state: Mapping[str, Any], kb: Knowledge, finding_id: str) -> dict[str, Any]:
    """Take back a red flag after the person explicitly confirmed it is absent. The only way a red flag heard is
    removed (besides "not new" to its own check); its question stays answered."""
    finding = kb.findings.get(finding_id)
    if finding is None or not finding.red_flag or finding_id not in _replay(kb, state).findings:
        raise InvalidAnswer("withdraw", finding_id)
    return _with_event(state, ["w", finding_id])


def undo(state: Mapping[str, Any], kb: Knowledge) -> dict[str, Any]:
    """Take back the last answer ("go back"). A red flag, once affirmed, is never taken back. The result marker is
    not an answer: it goes with the event taken back; so does the detail of a volunteered finding."""
    events = list(state["events"])
    while events and (events[-1] == [RESULT_GIVEN] or events[-1][0] == "d"):
        if events[-1][0] == "d" and len(events) > 1 and _affirms_red_flag(kb, events[-2]):
            raise UndoBlocked("red flags are kept")
        events.pop()
    if not events:
        raise NothingToUndo("nothing to undo")
    if _affirms_red_flag(kb, events[-1]):
        raise UndoBlocked("red flags are kept")
    events.pop()
    while events and events[-1] == [RESULT_GIVEN]:
        events.pop()
    return {**state, "events": events}


def restart(state: Mapping[str, Any], kb: Knowledge) -> dict[str, Any]:
    """A fresh interview that still carries every red flag already affirmed."""
    present = _replay(kb, state).findings
    return new_state(kb, carried=[f for f in present if kb.findings[f].red_flag])


def with_red_flags(state: Mapping[str, Any], kb: Knowledge, flags: Iterable[str]) -> dict[str, Any]:
    """The state, also carrying these red flags (those it has not heard already). Used wherever one interview
    replaces another (resume, a stored record, an unreadable state): an affirmed red flag is never dropped."""
    present = _replay(kb, state).findings
    extra = [f for f in dict.fromkeys(flags) if f in kb.findings and kb.findings[f].red_flag and f not in present]
    if not extra:
        return dict(state)
    return {**state, "carried": [*state.get("carried", []), *extra]}


def salvage(state: object, kb: Knowledge) -> dict[str, Any]:
    """A fresh interview carrying every red flag a state the engine cannot read still shows (a state from another
    knowledge version, or with a malformed event): the flags that are still red flags in this knowledge, from its
    carried list, its volunteered findings and the answers that still mean the same. Never raises."""
    flags: list[str] = []
    if isinstance(state, dict):
        carried, events = state.get("carried"), state.get("events")
        if isinstance(carried, list):
            flags += [f for f in carried if isinstance(f, str)]
        for event in events if isinstance(events, list) else ():
            if not isinstance(event, list) or not all(isinstance(part, str) for part in event):
                continue
            if len(event) == 2 and event[0] == "v":
                flags.append(event[1])
            elif len(event) >= 3 and event[0] == "a" and event[1] in kb.questions_by_id:
                q = kb.questions_by_id[event[1]]
                values = [v for v in event[2:] if _valid_value(q, v)]  # what still means the same, one by one
                if values:
                    flags += _answer_findings(q, values)
    keep = [f for f in dict.fromkeys(flags) if f in kb.findings and kb.findings[f].red_flag]
    return new_state(kb, carried=keep)


@dataclass(frozen=True)
class Fit:
    """How the person's own answers fit one cause (or category), for "is it shingles?": never a diagnosis."""

    said: tuple[str, ...]  # findings heard that point to it, strongest first
    missing: tuple[str, ...]  # its own usual signs (its strongest features) not heard
    details: Mapping[str, str] = field(default_factory=dict)  # the one sign said of a compound finding


def fit(state: Mapping[str, Any], kb: Knowledge, target: str) -> Fit:
    """What the person said that fits ``target`` (a cause or category id), and -- for a cause -- the signs the
    article gives it most strongly that they did not say. KeyError for an unknown id."""
    iv = _replay(kb, state)
    features: dict[str, int] = {}
    if target in kb.causes:
        features.update(kb.causes[target].features)
        top = max(features.values(), default=0)
        usual = [f for f, w in features.items() if w == top]
    else:
        cat = kb.category(target)
        for source in (cat.features, *(c.features for c in cat.causes)):
            for fid, weight in source.items():
                features[fid] = max(weight, features.get(fid, 0))
        usual = []
    order = kb.finding_order
    said = tuple(sorted((f for f in features if f in iv.findings), key=lambda f: (-features[f], order[f])))
    missing = tuple(f for f in usual if f not in iv.findings)
    return Fit(said, missing, {f: d for f, d in iv.details.items() if f in said})


def findings(state: Mapping[str, Any], kb: Knowledge) -> tuple[str, ...]:
    return tuple(_replay(kb, state).findings)


def red_flags_heard(state: Mapping[str, Any], kb: Knowledge) -> tuple[str, ...]:
    return tuple(f for f in _replay(kb, state).findings if kb.findings[f].red_flag)


def cautious_answer(q: Question, kb: Knowledge) -> str:
    """The answer to count for a partial reply to a yes/no question ("a little", "sometimes"): whichever of yes and
    no allows the more urgent advice (yes on a tie), so a partial answer is never silently the reassuring one."""
    if q.type != "yes_no":
        raise InvalidAnswer(q.id, "partial")

    def level(findings: Iterable[str]) -> int:
        return max((_floor_level(kb, kb.findings[f]) for f in findings), default=-1)

    return YES if level(q.on_yes) >= level(q.on_no) else NO


def questions_left(state: Mapping[str, Any], kb: Knowledge) -> int:
    """An honest upper bound on the questions still to come, the open one included, if each is answered.

    Counts every unanswered question whose answer could still change the result at the lowest floor still
    possible (red flags whose newness is not settled may yet turn out long-standing, and a positional sudden onset
    may be set aside), whatever its ask_if (ask_if only ever removes questions), plus one "is it new?" check for each
    red flag heard and not yet checked and for each such question that could affirm one."""
    iv = _replay(kb, state)
    if _next_question(kb, iv) is None:
        return 0
    unsettled = frozenset(f for f in iv.findings if f in kb.new_check and f not in iv.checked)
    floor = _floor(kb, iv, unsettled | frozenset(kb.policy.self_care_overrides))
    main = [q for q in kb.questions if not q.follows and q.id not in iv.answered and _matters(kb, q, floor)]
    checks = len(unsettled) + sum(1 for q in main if any(f in kb.new_check for f in q.possible_findings))
    return len(main) + checks
