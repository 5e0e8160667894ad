"""A result in plain words, from the knowledge: what the skill says and shows, and what tests read."""

from __future__ import annotations

from dataclasses import dataclass

from triage.engine import Result
from triage.knowledge import Knowledge


@dataclass(frozen=True)
class CategoryReport:
    id: str
    name: str
    causes: tuple[str, ...]  # cause names, strongest first
    reasons: tuple[str, ...]  # "the numbness spreads from your lower back into your legs or feet", ...


@dataclass(frozen=True)
class Report:
    disposition: str
    headline: str
    action: str  # what to do now; may hold {emergency_number}
    why: tuple[str, ...]  # reasons for the disposition's urgency
    unsure: tuple[str, ...]  # warning signs that could not be ruled out
    categories: tuple[CategoryReport, ...]  # ranked; empty when no answer pointed anywhere
    watch_list: tuple[str, ...]  # warning signs to watch for, the unsure ones first
    prompt_signs: tuple[str, ...]  # signs that call for prompt care


def explain(result: Result, kb: Knowledge, other: bool = False) -> Report:
    """``other``: the person is asking for someone else (third-person wording where the knowledge has it)."""
    disposition = kb.dispositions[result.disposition]
    headline, action = disposition.for_person(other)

    def because(fid: str) -> str:
        return kb.findings[fid].because(other, result.details.get(fid))

    categories = tuple(
        CategoryReport(
            id=cat.id,
            name=kb.category(cat.id).name,
            causes=tuple(kb.causes[c].name for c in cat.causes),
            reasons=tuple(because(f) for f in cat.reasons),
        )
        for cat in result.categories
        if result.evidence
    )
    return Report(
        disposition=disposition.id,
        headline=headline,
        action=action,
        why=tuple(because(f) for f in result.urgent_reasons),
        unsure=tuple(kb.findings[f].warning or kb.findings[f].reason for f in result.unknown_red_flags),
        categories=categories,
        watch_list=tuple(kb.findings[f].warning or kb.findings[f].reason for f in result.watch_list),
        prompt_signs=prompt_signs(kb),
    )


def red_flag_signs(kb: Knowledge) -> tuple[str, ...]:
    return tuple(f.warning or f.reason for f in kb.red_flags if not f.covers)  # the covered signs have own lines


def prompt_signs(kb: Knowledge) -> tuple[str, ...]:
    return tuple(f.warning for f in kb.findings.values() if f.floor == "prompt" and f.warning)
