"""2. Schema and loading: compiled.json is current; broken sources fail with a message naming file and field."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from triage import compile as tc
from triage.knowledge import KnowledgeError, from_dict, load_knowledge

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"

Mutation = Callable[[dict[str, Any]], None]


def test_compiled_json_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert tc.main(["--check", "--dir", str(KNOWLEDGE)]) == 0, capsys.readouterr().err


def test_check_with_default_dir_passes() -> None:
    assert tc.main(["--check"]) == 0


def test_check_fails_on_a_stale_compiled_json(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "compiled.json").write_text("{}\n", encoding="utf-8")
    assert tc.main(["--check", "--dir", str(folder)]) == 1
    assert tc.main(["--dir", str(folder)]) == 0  # rebuild
    assert tc.main(["--check", "--dir", str(folder)]) == 0
    assert (folder / "compiled.json").read_bytes() == (KNOWLEDGE / "compiled.json").read_bytes()


def test_load_knowledge_reads_compiled_json() -> None:
    kb = load_knowledge(str(KNOWLEDGE))
    data = json.loads((KNOWLEDGE / "compiled.json").read_text(encoding="utf-8"))
    assert kb.version == data["version"]
    assert len(kb.questions) == len(data["questions"])


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def _mutate(folder: Path, name: str, fn: Mutation) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _index(items: list[dict[str, Any]], ident: str) -> int:
    return next(i for i, item in enumerate(items) if item["id"] == ident)


def _q(data: dict[str, Any], ident: str) -> dict[str, Any]:
    return data["questions"][_index(data["questions"], ident)]


def _f(data: dict[str, Any], ident: str) -> dict[str, Any]:
    return data["findings"][_index(data["findings"], ident)]


# (name, file, mutation, substrings the message must contain -- the file and the field path first)
BROKEN: list[tuple[str, str, Mutation, list[str]]] = [
    ("missing_reprompt", "questions.yaml", lambda d: d["questions"][6].pop("reprompt"),
     ["questions.yaml: questions[6]", "reprompt"]),
    ("missing_cause_source", "categories.yaml", lambda d: d["categories"][1]["causes"][2].pop("source"),
     ["categories.yaml: categories[1].causes[2]", "source"]),
    ("missing_finding_reason", "findings.yaml", lambda d: d["findings"][5].pop("reason"),
     ["findings.yaml: findings[5]", "reason"]),
    ("missing_version", "rules.yaml", lambda d: d.pop("version"), ["rules.yaml: ", "version"]),
    ("wrong_type_question_type", "questions.yaml", lambda d: d["questions"][6].__setitem__("type", "yes_or_no"),
     ["questions.yaml: questions[6].type"]),
    ("wrong_type_red_flag_bool", "findings.yaml", lambda d: d["findings"][0].__setitem__("red_flag", "yes"),
     ["findings.yaml: findings[0].red_flag"]),
    ("wrong_type_weight", "categories.yaml",
     lambda d: d["categories"][0]["causes"][0]["features"].__setitem__("trigger_sleep_position", "two"),
     ["categories.yaml: categories[0].causes[0].features.trigger_sleep_position"]),
    ("wrong_type_level", "rules.yaml", lambda d: d["dispositions"][0].__setitem__("level", "four"),
     ["rules.yaml: dispositions[0].level"]),
    ("red_flag_question_without_plain", "questions.yaml", lambda d: d["questions"][1].pop("plain"),
     ["questions.yaml: questions[1]", "plain"]),
    ("bad_duration_in_range", "questions.yaml",
     lambda d: _q(d, "duration")["ranges"][0].__setitem__("below", "one day"),
     ["questions.yaml: questions[21].ranges[0].below"]),
    ("unknown_finding_in_cause_feature", "categories.yaml",
     lambda d: d["categories"][1]["causes"][1]["features"].__setitem__("worse_when_running", 2),
     ["categories.yaml: categories[1].causes[1].features", "worse_when_running"]),
    ("unknown_finding_in_category_feature", "categories.yaml",
     lambda d: d["categories"][0]["features"].__setitem__("nope", 1),
     ["categories.yaml: categories[0].features", "nope"]),
    ("unknown_floor", "findings.yaml", lambda d: d["findings"][4].__setitem__("floor", "urgent"),
     ["findings.yaml: findings[4].floor", "urgent"]),
    ("unknown_policy_floor", "rules.yaml", lambda d: d["policy"]["unknown_red_flag"].__setitem__("floor", "soon"),
     ["rules.yaml: policy.unknown_red_flag.floor"]),
    ("unknown_stop_asking_at", "rules.yaml", lambda d: d["policy"].__setitem__("stop_asking_at", "later"),
     ["rules.yaml: policy.stop_asking_at", "later"]),
    ("duplicate_finding_id", "findings.yaml", lambda d: d["findings"][11].__setitem__("id", "severe"),
     ["findings.yaml: findings", "severe"]),
    ("duplicate_question_id", "questions.yaml", lambda d: d["questions"][6].__setitem__("id", "severe"),
     ["questions.yaml: questions", "severe"]),
    ("bad_ask_if_reference", "questions.yaml", lambda d: _q(d, "trigger").__setitem__("ask_if", "improves_fast"),
     ["questions.yaml: questions[23].ask_if", "improves_fast"]),
    ("bad_nested_ask_if_reference", "questions.yaml",
     lambda d: _q(d, "spread_area").__setitem__("ask_if", {"not": {"all": ["short_lived", "gets_better"]}}),
     ["questions.yaml: questions[24].ask_if.not.all", "gets_better"]),
    ("malformed_ask_if", "questions.yaml", lambda d: _q(d, "spread_area").__setitem__("ask_if", {"nand": ["x"]}),
     ["questions.yaml: questions[24].ask_if"]),
    ("unknown_finding_on_yes", "questions.yaml", lambda d: d["questions"][0]["on_yes"].append("incontinence"),
     ["questions.yaml: questions[0].on_yes", "incontinence"]),
    ("unknown_finding_in_option", "questions.yaml",
     lambda d: _q(d, "spread_area")["options"][0]["findings"].append("legs"),
     ["questions.yaml: questions[24].options[0].findings", "legs"]),
    ("cited_without_date", "findings.yaml", lambda d: _f(d, "saddle_numbness")["cited"][0].pop("read"),
     ["findings.yaml: findings[5].cited[0]", "read"]),
    ("cited_and_source", "findings.yaml", lambda d: _f(d, "saddle_numbness").__setitem__("source", "bladder"),
     ["findings.yaml: findings[5]"]),
    ("cited_not_a_url", "findings.yaml", lambda d: _f(d, "both_legs")["cited"][0].__setitem__("url", "the NHS"),
     ["findings.yaml: findings[7].cited[0].url"]),
    ("cited_finding_not_red_flag", "findings.yaml", lambda d: _f(d, "cancer_history").pop("red_flag"),
     ["findings.yaml: findings[9].cited", "only red flags"]),
    ("red_flag_without_denial", "findings.yaml", lambda d: _f(d, "urinary_retention").pop("denial"),
     ["findings.yaml: findings[4].denial"]),
    ("new_check_follows_non_red_flag", "questions.yaml",
     lambda d: _q(d, "significant_trauma_new").__setitem__("follows", "severe"),
     ["questions.yaml: questions[11].follows", "not a red flag"]),
    ("new_check_with_findings", "questions.yaml",
     lambda d: _q(d, "saddle_numbness_new").__setitem__("on_yes", ["saddle_numbness"]),
     ["questions.yaml: questions[7]", "no findings"]),
    ("baseline_without_new_check", "questions.yaml",
     lambda d: _q(d, "worse_standing_walking").__setitem__("ask_if", {"baseline": "severe"}),
     ["questions.yaml: questions[25].ask_if.baseline", "severe"]),
    ("self_care_sets_aside_a_red_flag", "rules.yaml",
     lambda d: d["policy"]["self_care_when"]["overrides"].append("significant_trauma"),
     ["rules.yaml: policy.self_care_when.overrides", "red flag"]),
    ("unknown_floor_for_bad_level", "rules.yaml",
     lambda d: d["policy"]["unknown_red_flag"]["floor_for"].__setitem__("emergency", "today"),
     ["rules.yaml: policy.unknown_red_flag.floor_for"]),
    ("red_flag_without_warning", "findings.yaml", lambda d: _f(d, "significant_trauma").pop("warning"),
     ["findings.yaml: findings[2].warning"]),
    ("unknown_self_care_category", "rules.yaml",
     lambda d: d["policy"]["self_care_when"]["no_evidence_for"].append("nerves"),
     ["rules.yaml: policy.self_care_when.no_evidence_for", "nerves"]),
    ("unknown_field", "findings.yaml", lambda d: d["findings"][3].__setitem__("flor", "immediate"),
     ["findings.yaml: findings[3]", "flor"]),
    # one question for several red flags (`covers`): only a red flag covers, and only red flags of its own floor
    ("covers_on_a_finding_not_a_red_flag", "findings.yaml",
     lambda d: _f(d, "persistent").update(floor="emergency", covers=["loss_bladder_bowel", "urinary_retention"]),
     ["findings.yaml: findings[17].covers", "'loss_bladder_bowel'", "own floor and kind only"]),
    ("covers_a_finding_not_a_red_flag", "findings.yaml",
     lambda d: (_f(d, "severe").__setitem__("floor", "emergency"),
                _f(d, "cauda_equina_sign")["covers"].append("severe")),
     ["findings.yaml: findings[6].covers", "'severe'", "own floor and kind only"]),
    ("covers_a_red_flag_of_another_floor", "findings.yaml",
     lambda d: _f(d, "cauda_equina_sign")["covers"].append("weakness_walking_balance"),
     ["findings.yaml: findings[6].covers", "'weakness_walking_balance'", "own floor and kind only"]),
    ("covers_an_unknown_finding", "findings.yaml",
     lambda d: _f(d, "cauda_equina_sign")["covers"].append("incontinence"),
     ["findings.yaml: findings[6].covers", "unknown finding 'incontinence'"]),
    # a red flag said in words that also name a routine finding (`clarify`): asked about, never guessed
    ("clarify_on_a_finding_not_a_red_flag", "findings.yaml",
     lambda d: _f(d, "persistent").__setitem__("clarify", {"when_said": ["feet_and_hands"], "text": "Which?"}),
     ["findings.yaml: findings[17].clarify", "only a red flag a person may say"]),
    ("clarify_when_a_red_flag_is_said", "findings.yaml",
     lambda d: _f(d, "saddle_numbness")["clarify"]["when_said"].append("loss_bladder_bowel"),
     ["findings.yaml: findings[5].clarify.when_said", "'loss_bladder_bowel'", "not a red flag"]),
    ("clarify_when_an_unknown_finding_is_said", "findings.yaml",
     lambda d: _f(d, "saddle_numbness")["clarify"]["when_said"].append("bum"),
     ["findings.yaml: findings[5].clarify.when_said", "unknown finding 'bum'"]),
    ("clarify_text_not_a_question", "findings.yaml",
     lambda d: _f(d, "saddle_numbness")["clarify"].__setitem__("text", "Between your legs."),
     ["findings.yaml: findings[5].clarify", "a question ends with '?'"]),
    # a sign said that is a question's yes (`yes_if_said`): one of its details, never a red flag
    ("yes_if_said_a_detail_the_sign_lacks", "questions.yaml",
     lambda d: _q(d, "weakness_walking_balance_new")["yes_if_said"].__setitem__("spreading_or_worsening", "faster"),
     ["questions.yaml: questions[9].yes_if_said", "no detail 'faster'"]),
    ("yes_if_said_a_red_flag", "questions.yaml",
     lambda d: _q(d, "weakness_walking_balance_new")["yes_if_said"].__setitem__("loss_bladder_bowel", "fever"),
     ["questions.yaml: questions[9].yes_if_said", "'loss_bladder_bowel'", "not a red flag"]),
    # "I don't know" to a grouped question opens its signs (`on_unknown`): never a red flag nor a floor from it
    ("on_unknown_names_a_red_flag", "questions.yaml",
     lambda d: _q(d, "cauda_equina")["on_unknown"].append("loss_bladder_bowel"),
     ["questions.yaml: questions[0].on_unknown", "'loss_bladder_bowel'", "must not be a red flag or have a floor"]),
    ("on_unknown_names_a_finding_with_a_floor", "questions.yaml",
     lambda d: _q(d, "prompt_signs")["on_unknown"].append("severe"),
     ["questions.yaml: questions[17].on_unknown", "'severe'", "must not be a red flag or have a floor"]),
    ("on_unknown_names_the_grouped_floor", "questions.yaml",
     lambda d: _q(d, "prompt_signs").__setitem__("on_unknown", ["prompt_sign"]),
     ["questions.yaml: questions[17].on_unknown", "'prompt_sign'", "must not be a red flag or have a floor"]),
]


@pytest.mark.parametrize(("name", "file", "mutation", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_source_names_file_and_field(
    tmp_path: Path, name: str, file: str, mutation: Mutation, expected: list[str]
) -> None:
    folder = _copy(tmp_path)
    _mutate(folder, file, mutation)
    with pytest.raises(KnowledgeError) as info:
        tc.compile_knowledge(folder)
    message = str(info.value)
    assert message.startswith(f"{file}: "), message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    # and the command-line check fails too (exit status 1, not a traceback)
    assert tc.main(["--check", "--dir", str(folder)]) == 1


def test_mutation_indices_still_point_where_intended() -> None:
    """Guard for BROKEN: if the YAML order changes, fix the indices above rather than test the wrong thing."""
    q = yaml.safe_load((KNOWLEDGE / "questions.yaml").read_text(encoding="utf-8"))["questions"]
    assert [q[i]["id"] for i in (0, 1, 6, 7, 8, 11, 20, 21, 23, 24, 25)] == [
        "cauda_equina", "cauda_equina_sign_new", "urinary_retention_new", "saddle_numbness_new",
        "weakness_walking_balance", "significant_trauma_new", "spreading_or_worsening", "duration", "trigger",
        "spread_area", "worse_standing_walking"]
    assert "plain" in q[1] and q[1]["phase"] == "red_flag" and "reprompt" in q[6]
    f = yaml.safe_load((KNOWLEDGE / "findings.yaml").read_text(encoding="utf-8"))["findings"]
    assert [f[i]["id"] for i in (2, 4, 5, 6, 7, 9, 14)] == [
        "significant_trauma", "urinary_retention", "saddle_numbness", "cauda_equina_sign", "both_legs",
        "cancer_history", "severe"]
    assert f[11]["id"] != "severe" and "source" in f[11]
    # the covers cases: each breaks one rule only (a valid cover, a covered red flag; severe is not a red flag)
    assert f[6]["red_flag"] and f[6]["floor"] == "emergency" and len(f[6]["covers"]) >= 2
    assert all(f[_index(f, c)]["red_flag"] and f[_index(f, c)]["floor"] == "emergency"
               for c in ("loss_bladder_bowel", "urinary_retention"))
    # the on_unknown cases: each valid as is (findings without floor), the mutation names a red flag / a floor
    assert q[0]["on_unknown"] == ["cauda_equina_unsure"] and q[17]["id"] == "prompt_signs"
    assert q[17]["on_unknown"] == ["prompt_unsure"]
    assert not f[14].get("red_flag") and "floor" in f[14] and f[0]["red_flag"]
    assert f[17]["id"] == "persistent" and not f[17].get("red_flag") and not f[17].get("covers")
    assert not f[14].get("red_flag") and f[_index(f, "weakness_walking_balance")]["red_flag"]


def test_duplicate_cause_id_names_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _mutate(folder, "categories.yaml", lambda d: d["categories"][2]["causes"][0].__setitem__("id", "shingles"))
    with pytest.raises(KnowledgeError) as info:
        tc.compile_knowledge(folder)
    message = str(info.value)
    assert "shingles" in message
    assert message.startswith("categories.yaml: categories[2].causes["), message


def test_duplicate_cause_id_is_rejected(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _mutate(folder, "categories.yaml", lambda d: d["categories"][2]["causes"][0].__setitem__("id", "shingles"))
    with pytest.raises(KnowledgeError, match=r"^categories\.yaml: .*'shingles'"):
        tc.compile_knowledge(folder)


@pytest.mark.parametrize("text", ["questions:\n  - id: [unclosed\n", "questions: {a: 1\n", "\tquestions: []\n"])
def test_bad_yaml_names_the_file(tmp_path: Path, text: str) -> None:
    folder = _copy(tmp_path)
    (folder / "questions.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"(?s)^questions\.yaml: not valid YAML: .*line \d+"):
        tc.compile_knowledge(folder)


def test_missing_source_file_names_it(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "rules.yaml").unlink()
    with pytest.raises(KnowledgeError, match=r"^rules\.yaml: file not found"):
        tc.compile_knowledge(folder)


def test_unchanged_copy_compiles(tmp_path: Path) -> None:
    """The mutations above are the only thing wrong with the copies."""
    folder = _copy(tmp_path)
    for name in tc.SOURCES:
        _mutate(folder, name, lambda d: None)
    assert tc.render(tc.compile_knowledge(folder)) == (KNOWLEDGE / "compiled.json").read_text(encoding="utf-8")


# --- from_dict on the compiled form -------------------------------------------------------------------------

def _compiled() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((KNOWLEDGE / "compiled.json").read_text(encoding="utf-8"))
    return data


FROM_DICT_OK: list[tuple[str, Mutation, str]] = [
    ("version", lambda d: d.pop("version"), "compiled.json: missing field 'version'"),
    ("questions", lambda d: d.pop("questions"), "compiled.json: missing field 'questions'"),
    ("category_name", lambda d: d["categories"][1].pop("name"), "compiled.json: categories[1]: missing field 'name'"),
    ("cause_spoken", lambda d: d["categories"][2]["causes"][3].pop("spoken"),
     "compiled.json: categories[2].causes[3]: missing field 'spoken'"),
    ("finding_source", lambda d: d["findings"][11].pop("source"),
     "compiled.json: findings[11]: needs a 'source' quote or a 'cited' page"),
    ("question_text", lambda d: d["questions"][4].pop("text"), "compiled.json: questions[4]: missing field 'text'"),
    ("policy_default", lambda d: d["policy"].pop("default"), "compiled.json: policy: missing field 'default'"),
    ("policy_unknown_floor", lambda d: d["policy"]["unknown_red_flag"].pop("floor"),
     "compiled.json: policy.unknown_red_flag: missing field 'floor'"),
    ("range_findings", lambda d: _q(d, "duration")["ranges"][0].pop("findings"), "compiled.json: questions[21].ranges"),
]

FROM_DICT_MORE: list[tuple[str, Mutation, str]] = [
    ("disposition_headline", lambda d: d["dispositions"][0].pop("headline"), "dispositions[0]"),
    ("disposition_id", lambda d: d["dispositions"][2].pop("id"), "dispositions[2]"),
    ("option_id", lambda d: _q(d, "trigger")["options"][0].pop("id"), "questions[23].options[0]"),
]


@pytest.mark.parametrize(("name", "mutation", "expected"), FROM_DICT_OK, ids=[m[0] for m in FROM_DICT_OK])
def test_from_dict_names_a_missing_field(name: str, mutation: Mutation, expected: str) -> None:
    data = _compiled()
    mutation(data)
    with pytest.raises(KnowledgeError) as info:
        from_dict(data)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("name", "mutation", "expected"),
    [pytest.param(*m, id=m[0]) for m in FROM_DICT_MORE],
)
def test_from_dict_names_a_missing_field_everywhere(name: str, mutation: Mutation, expected: str) -> None:
    data = _compiled()
    mutation(data)
    with pytest.raises(KnowledgeError) as info:
        from_dict(data)
    assert expected in str(info.value)


def test_from_dict_accepts_the_compiled_form_unchanged() -> None:
    data = _compiled()
    before = copy.deepcopy(data)
    kb = from_dict(data)
    assert data == before  # not mutated
    assert kb == load_knowledge(str(KNOWLEDGE))


def test_load_knowledge_names_a_missing_or_bad_compiled_json(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match=r"compiled\.json: not found"):
        load_knowledge(str(tmp_path))
    (tmp_path / "compiled.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"compiled\.json: invalid JSON"):
        load_knowledge(str(tmp_path))
