"""1. The knowledge covers every cause category, cause and warning sign that knowledge/article.txt names, and
every `source` is a verbatim quote of the article. The lists below are written from the article, by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from triage.knowledge import Knowledge, Question

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
ARTICLE = KNOWLEDGE / "article.txt"
SEED = Path("/work/shared/seeds/000_1c5f4619853b775d.txt")

# The article's section headings, in order; each category's and cause's source must come from its own section.
SECTIONS = {
    "temporary": "Temporary or Minor Causes",
    "nerve_compression": "Nerve Compression and Damage",
    "underlying_condition": "Underlying Medical Conditions",
    "care": "When to Seek Medical Care",
}

# category id -> words its name must contain
CATEGORIES = {
    "temporary": ["temporary", "pressure", "nerve"],
    "nerve_compression": ["spinal nerves", "pressure", "damage"],
    "underlying_condition": ["underlying", "medical condition"],
}

# The eleven causes: (cause id, category id, words in its name, words in its spoken text, findings the article
# names as pointing to it).
CAUSES = [
    ("awkward_sleeping_position", "temporary", ["awkward", "sleeping"], ["pressure"], ["trigger_sleep_position"]),
    ("prolonged_sitting", "temporary", ["sitting"], ["car", "desk"], ["trigger_prolonged_sitting"]),
    ("tight_clothing", "temporary", ["tight clothing", "belt"], ["belt"], ["trigger_tight_clothing"]),
    ("herniated_disc", "nerve_compression", ["herniated disc"], ["sciatica", "legs or feet"], ["radiates_legs_feet"]),
    ("spinal_stenosis", "nerve_compression", ["spinal stenosis"], ["standing or walking", "sitting"],
     ["worse_standing_walking"]),
    ("spondylolisthesis", "nerve_compression", ["spondylolisthesis"], ["buttocks or legs"],
     ["radiates_buttocks_hip_groin", "radiates_legs_feet"]),
    ("radiculopathy", "nerve_compression", ["radiculopathy", "nerve root"], ["buttocks, hip, groin"],
     ["radiates_buttocks_hip_groin"]),
    ("peripheral_neuropathy", "underlying_condition", ["peripheral neuropathy"], ["diabetes", "B12", "feet"],
     ["feet_and_hands", "diabetes_or_b12"]),
    ("multiple_sclerosis", "underlying_condition", ["multiple sclerosis"], ["immune system"],
     ["comes_and_goes_elsewhere"]),
    ("shingles", "underlying_condition", ["shingles"], ["rash", "chickenpox"], ["painful_rash", "burning_feeling"]),
    ("spinal_tumor", "underlying_condition", ["spinal tumor"], ["night", "worse over time"],
     ["pain_worse_over_time_night"]),
]

# Every warning sign in "When to Seek Medical Care": (sign as the article says it, finding id, floor,
# words the finding's warning text must contain).
WARNING_SIGNS = [
    ("sudden onset", "sudden_onset", "prompt", ["suddenly"]),
    ("is severe", "severe", "prompt", ["severe"]),
    ("spreads rapidly", "spreading_or_worsening", "prompt", ["spreads"]),
    ("worsens progressively", "spreading_or_worsening", "prompt", ["worse"]),
    ("Muscle weakness", "weakness_walking_balance", "immediate", ["muscle weakness"]),
    ("difficulty walking", "weakness_walking_balance", "immediate", ["walking"]),
    ("problems with balance and coordination", "weakness_walking_balance", "immediate", ["balance", "coordination"]),
    ("Sudden loss of bladder or bowel control", "loss_bladder_bowel", "emergency", ["bladder", "bowel", "sudden"]),
    ("Numbness that occurs after a significant trauma or injury to the back", "significant_trauma", "immediate",
     ["significant", "injury", "back"]),
    ("Unexplained weight loss", "weight_loss_fever_sweats", "immediate", ["unexplained weight loss"]),
    ("fever", "weight_loss_fever_sweats", "immediate", ["fever"]),
    ("night sweats", "weight_loss_fever_sweats", "immediate", ["night sweats"]),
]

RED_FLAGS = {"loss_bladder_bowel", "weakness_walking_balance", "significant_trauma", "weight_loss_fever_sweats"}

# Red flags beyond the article: cauda equina signs and a past cancer, from public NHS/NICE pages listed in
# /work/shared/sources/red-flags-beyond-the-article.md (read 2026-11-24). finding id -> (floor, words its warning
# must contain, a host its citations must include).
CITED = {
    "urinary_retention": ("emergency", ["urine"], "nhs.uk"),
    "saddle_numbness": ("emergency", ["between the legs", "bottom", "wipe"], "cks.nhs.uk"),
    "both_legs": ("emergency", ["both legs"], "nhs.uk"),
    "sexual_dysfunction": ("emergency", ["sexual"], "nhs.uk"),
    "cancer_history": ("immediate", ["cancer"], "nice.org.uk/guidance/cg75"),
    # the one question for three cauda equina signs (issue 9): its "yes", covering the three above and the article's
    "cauda_equina_sign": ("emergency", ["bladder", "bowel", "peeing", "between the legs"], "nhs.uk"),
}
# finding -> what the question that asks it must name (the signs are asked together, each named)
COVERED_NAMED = {"loss_bladder_bowel": ["bladder", "bowels"], "urinary_retention": ["peeing"],
                 "saddle_numbness": ["between your legs", "bottom"],
                 "sudden_onset": ["suddenly"], "severe": ["severe"], "spreading_or_worsening": ["spreading", "worse"]}
CITED_SOURCES = Path("/work/shared/sources/red-flags-beyond-the-article.md")
READ_ON = "2026-11-24"


def askers(kb: Knowledge, finding_id: str) -> list[Question]:
    """The questions that ask about a finding: their "yes" records it, or records a red flag that covers it."""
    return [q for q in kb.questions
            if finding_id in q.on_yes or any(finding_id in kb.findings[f].covers for f in q.on_yes)]


def norm(text: str) -> str:
    """Whitespace and curly quotes only."""
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip()


def article() -> str:
    return norm(ARTICLE.read_text(encoding="utf-8"))


def section(name: str) -> str:
    text = article()
    heads = list(SECTIONS.values())
    start = text.index(heads[heads.index(name)])
    later = [text.index(h) for h in heads if text.index(h) > start]
    return text[start : min(later) if later else len(text)]


def sources() -> list[tuple[str, str]]:
    """(where, source) for every `source` field in every YAML file, found by walking the raw data."""
    out: list[tuple[str, str]] = []

    def visit(node: object, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "source":
                    out.append((where, str(value)))
                else:
                    visit(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{where}[{i}]")

    for path in sorted(KNOWLEDGE.glob("*.yaml")):
        visit(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
    return out


def test_article_is_the_seed() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} not present")
    assert ARTICLE.read_bytes() == SEED.read_bytes()


def test_article_has_the_sections_we_check_against() -> None:
    text = article()
    positions = [text.index(h) for h in SECTIONS.values()]
    assert positions == sorted(positions)


def test_the_lists_here_are_the_articles() -> None:
    """Guard the hand-written lists: every cause and sign named above really is in the article."""
    text = article().lower()
    for sign, *_ in WARNING_SIGNS:
        assert sign.lower() in text, sign
    for _cause, _cat, words, *_ in CAUSES:
        for w in words:
            if w not in ("belt", "tight clothing", "nerve root"):
                assert w.lower() in text, w
    assert len(CAUSES) == 11


def test_categories_are_exactly_the_articles_three(kb: Knowledge) -> None:
    assert [c.id for c in kb.categories] == list(CATEGORIES)
    for cat in kb.categories:
        for word in CATEGORIES[cat.id]:
            assert word in cat.name.lower(), (cat.id, word)
        assert norm(cat.source) in section(SECTIONS[cat.id]), cat.id


@pytest.mark.parametrize(("cause_id", "category", "name_words", "spoken_words", "features"), CAUSES,
                         ids=[c[0] for c in CAUSES])
def test_every_cause_is_in_the_knowledge(
    kb: Knowledge, cause_id: str, category: str, name_words: list[str], spoken_words: list[str], features: list[str]
) -> None:
    assert cause_id in kb.causes, f"cause {cause_id} missing"
    cause = kb.causes[cause_id]
    assert cause.category == category
    for w in name_words:
        assert w.lower() in cause.name.lower(), (cause_id, w)
    for w in spoken_words:
        assert w.lower() in cause.spoken.lower(), (cause_id, w)
    for f in features:
        assert cause.features.get(f, 0) >= 1, f"{cause_id} should be pointed to by {f}"
    assert norm(cause.source) in section(SECTIONS[category]), f"{cause_id}: source not from its own section"


def test_no_cause_beyond_the_eleven(kb: Knowledge) -> None:
    assert sorted(kb.causes) == sorted(c[0] for c in CAUSES)


@pytest.mark.parametrize(("sign", "finding_id", "floor", "words"), WARNING_SIGNS, ids=[w[0] for w in WARNING_SIGNS])
def test_every_warning_sign_is_in_the_knowledge(
    kb: Knowledge, sign: str, finding_id: str, floor: str, words: list[str]
) -> None:
    assert finding_id in kb.findings, f"warning sign {sign!r}: finding {finding_id} missing"
    finding = kb.findings[finding_id]
    assert finding.floor == floor, (sign, finding.floor)
    assert finding.warning, f"{finding_id} has no warning text for the watch-list"
    for w in words:
        assert w in finding.warning.lower(), f"warning text of {finding_id} should say {w!r}: {finding.warning!r}"
    assert finding.volunteer, f"{finding_id} should be volunteerable"
    assert finding.red_flag == (finding_id in RED_FLAGS)
    assert norm(finding.source) in section(SECTIONS["care"])
    # and some question asks about it (on its own, or with the signs asked together with it, naming each)
    asked = askers(kb, finding_id)
    assert asked, f"no question asks about {sign!r}"
    for q in asked:
        if finding_id not in q.on_yes:
            assert all(w in q.text for w in COVERED_NAMED[finding_id]), (finding_id, q.id)


def test_red_flags_are_the_articles_and_the_cited_ones(kb: Knowledge) -> None:
    assert {f.id for f in kb.red_flags} == RED_FLAGS | set(CITED)
    for fid in RED_FLAGS:
        assert kb.findings[fid].source and not kb.findings[fid].cited, f"{fid} comes from the article"


def test_only_red_flags_rest_on_other_sources(kb: Knowledge) -> None:
    """Every finding except the cited red flags quotes the article; a cited one has no article quote."""
    for f in kb.findings.values():
        if f.id in CITED:
            assert f.cited and not f.source, f.id
        else:
            assert f.source and not f.cited, f.id


@pytest.mark.parametrize("finding_id", sorted(CITED))
def test_every_cited_red_flag_names_its_pages_and_date(kb: Knowledge, finding_id: str) -> None:
    floor, words, host = CITED[finding_id]
    f = kb.findings[finding_id]
    assert f.red_flag and f.floor == floor and f.denial
    assert f.volunteer != bool(f.covers)  # said on one's own, but for the one that only gathers others (its signs)
    for w in words:
        assert w in (f.warning or "").lower(), (finding_id, w)
    assert any(host in c.url for c in f.cited), (finding_id, host)
    listed = CITED_SOURCES.read_text("utf-8") if CITED_SOURCES.exists() else None
    for c in f.cited:
        assert c.read == READ_ON, (finding_id, c.read)
        assert c.url.startswith(("https://", "http://")) and c.says.strip()
        if listed is not None:
            assert c.url in listed, f"{finding_id}: {c.url} is not one of the pages looked up"
        # a paraphrase in our words, never a copy of the article either
        assert norm(c.says) not in article()
    # asked (or checked for newness) by some question: saddle numbness must be asked explicitly, by name
    asked = askers(kb, finding_id)
    if finding_id in ("saddle_numbness", "urinary_retention", "cancer_history", "cauda_equina_sign"):
        assert asked and all(q.phase == "red_flag" for q in asked), finding_id
    for q in asked:
        if finding_id in COVERED_NAMED and finding_id not in q.on_yes:
            assert all(w in q.text for w in COVERED_NAMED[finding_id]), (finding_id, q.id)


@pytest.mark.parametrize("fid", [
f for f in sorted(CITED)])
def test_cited_rules_are_listed_for_reviewers(kb: Knowledge, fid: str) -> None:
    """knowledge/README.md lists which rules come from which source."""
    readme = (KNOWLEDGE / "README.md").read_text("utf-8")
    assert f"`{fid}`" in readme, fid
    for c in kb.findings[fid].cited:
        assert c.url in readme, (fid, c.url)


def test_the_five_dispositions_and_self_care_pattern(kb: Knowledge) -> None:
    assert sorted(kb.dispositions, key=kb.level) == ["self_care", "routine", "prompt", "immediate", "emergency"]
    assert set(kb.policy.self_care_all) == {"short_lived", "improves_with_movement"}
    assert set(kb.policy.self_care_no_evidence_for) == {"nerve_compression", "underlying_condition"}
    assert kb.policy.default == "routine"  # "persistent without red flags" -> routine appointment


@pytest.mark.parametrize(("where", "quote"), sources(), ids=[w for w, _ in sources()])
def test_every_source_is_a_verbatim_quote(where: str, quote: str) -> None:
    assert norm(quote) in article(), f"{where}: not a verbatim quote of the article: {quote!r}"


def test_there_are_sources_to_check() -> None:
    where = [w for w, _ in sources()]
    assert len(where) >= 11 + 3 + 5 + 20
    assert all(any(w.startswith(f) for w in where) for f in ("categories", "findings", "rules"))


def test_a_misquote_would_be_caught() -> None:
    assert norm("Shingles, caused by the varicella-zoster virus") in article()
    assert norm("Shingles, caused by the varicella virus") not in article()
    assert norm("a \u201cpins and needles\u201d feeling") in article()
