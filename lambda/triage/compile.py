"""Build ``knowledge/compiled.json`` from the clinician-edited YAML, validating it on the way.

    python -m triage.compile            # write knowledge/compiled.json
    python -m triage.compile --check    # fail if compiled.json is stale or the sources are invalid

Needs PyYAML and jsonschema (development tools); the Lambda only reads the compiled JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from triage.knowledge import COMPILED_NAME, KnowledgeError, from_dict, knowledge_dir

SOURCES = ("categories.yaml", "findings.yaml", "questions.yaml", "rules.yaml")


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _load_sources(directory: Path) -> dict[str, Any]:
    import jsonschema
    import yaml

    schema = json.loads((directory / "schema.json").read_text(encoding="utf-8"))
    loaded: dict[str, Any] = {}
    for name in SOURCES:
        path = directory / name
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KnowledgeError(f"{name}: file not found in {directory}") from None
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{name}: not valid YAML: {exc}") from None
        sub = {"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]}
        validator = jsonschema.Draft202012Validator(sub)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            raise KnowledgeError(f"{name}: {_path(err.absolute_path)}: {err.message}")
        loaded[name] = data
    return loaded


def _check_references(data: dict[str, Any]) -> None:
    """Every id referred to must exist, and ids must be unique."""
    dispositions = {d["id"] for d in data["dispositions"]}
    findings = {f["id"] for f in data["findings"]}
    categories = {c["id"] for c in data["categories"]}

    def unique(kind: str, entries: list[tuple[str, str]]) -> None:
        """entries: (field path, id); a repeated id is reported at the path of its second use."""
        seen: set[str] = set()
        for where, value in entries:
            if value in seen:
                raise KnowledgeError(f"{where}: duplicate {kind} id '{value}'")
            seen.add(value)

    unique("finding", [(f"findings.yaml: findings[{i}].id", f["id"]) for i, f in enumerate(data["findings"])])
    unique("question", [(f"questions.yaml: questions[{i}].id", q["id"]) for i, q in enumerate(data["questions"])])
    unique("category or cause", [
        (f"categories.yaml: categories[{i}]" + (f".causes[{j}].id" if j >= 0 else ".id"), value)
        for i, cat in enumerate(data["categories"])
        for j, value in [(-1, cat["id"]), *((j, c["id"]) for j, c in enumerate(cat["causes"]))]
    ])
    unique("disposition", [(f"rules.yaml: dispositions[{i}].id", d["id"]) for i, d in enumerate(data["dispositions"])])
    if sorted(d["level"] for d in data["dispositions"]) != [0, 1, 2, 3, 4]:
        raise KnowledgeError("rules.yaml: dispositions.level: levels must be 0, 1, 2, 3 and 4, once each")

    def finding(ref: str, where: str) -> None:
        if ref not in findings:
            raise KnowledgeError(f"{where}: unknown finding '{ref}'")

    for i, cat in enumerate(data["categories"]):
        for ref in cat.get("features", {}):
            finding(ref, f"categories.yaml: categories[{i}].features")
        for j, cause in enumerate(cat["causes"]):
            for ref in cause["features"]:
                finding(ref, f"categories.yaml: categories[{i}].causes[{j}].features")
    for i, f in enumerate(data["findings"]):
        if "floor" in f and f["floor"] not in dispositions:
            raise KnowledgeError(f"findings.yaml: findings[{i}].floor: unknown disposition '{f['floor']}'")
        if f.get("red_flag") and "warning" not in f:
            raise KnowledgeError(f"findings.yaml: findings[{i}].warning: a red flag needs a warning text")
        if f.get("red_flag") and "denial" not in f:
            raise KnowledgeError(f"findings.yaml: findings[{i}].denial: a red flag needs a denial (for corrections)")
        if "cited" in f and not f.get("red_flag"):
            raise KnowledgeError(f"findings.yaml: findings[{i}].cited: only red flags may rest on other sources")
        for ref in f.get("covers", ()):
            finding(ref, f"findings.yaml: findings[{i}].covers")
            covered = next(g for g in data["findings"] if g["id"] == ref)
            if bool(f.get("red_flag")) != bool(covered.get("red_flag")) or covered.get("floor") != f.get("floor") \
                    or "floor" not in f:
                raise KnowledgeError(f"findings.yaml: findings[{i}].covers: '{ref}': a finding covers findings of its "
                                     "own floor and kind only (red flags cover red flags)")
    for i, f in enumerate(data["findings"]):
        clarify = f.get("clarify")
        if clarify is None:
            continue
        if not (f.get("red_flag") and f.get("volunteer")):
            raise KnowledgeError(f"findings.yaml: findings[{i}].clarify: only a red flag a person may say is clarified")
        for text in filter(None, (clarify["text"], clarify.get("text_other"))):
            if not text.endswith("?"):
                raise KnowledgeError(f"findings.yaml: findings[{i}].clarify: '{text}': a question ends with '?'")
        for ref in clarify["when_said"]:
            finding(ref, f"findings.yaml: findings[{i}].clarify.when_said")
            said = next(g for g in data["findings"] if g["id"] == ref)
            if said.get("red_flag") or not said.get("volunteer"):
                raise KnowledgeError(f"findings.yaml: findings[{i}].clarify.when_said: '{ref}': only a finding a "
                                     "person may say that is not a red flag is clarified")
    red_flags = {f["id"] for f in data["findings"] if f.get("red_flag")}
    volunteerable = {f["id"] for f in data["findings"] if f.get("volunteer")}
    followed = {q["follows"] for q in data["questions"] if "follows" in q}

    def condition(cond: Any, where: str) -> None:
        if isinstance(cond, str):
            finding(cond, where)
        elif "baseline" in cond:
            if cond["baseline"] not in followed:
                raise KnowledgeError(f"{where}.baseline: '{cond['baseline']}' has no 'is it new?' question")
        else:
            for key, value in cond.items():
                for sub in value if isinstance(value, list) else [value]:
                    condition(sub, f"{where}.{key}")

    for i, q in enumerate(data["questions"]):
        where = f"questions.yaml: questions[{i}]"
        for key in ("on_yes", "on_no", "on_unknown"):
            for ref in q.get(key, []):
                finding(ref, f"{where}.{key}")
        for ref in q.get("on_unknown", []):
            f = next(f for f in data["findings"] if f["id"] == ref)
            if f.get("red_flag") or "floor" in f:
                raise KnowledgeError(f"{where}.on_unknown: '{ref}' must not be a red flag or have a floor (not knowing "
                                     "is not having it; an unknown red flag has its own rule)")
        for j, opt in enumerate(q.get("options", [])):
            for ref in opt["findings"]:
                finding(ref, f"{where}.options[{j}].findings")
            for ref in opt.get("both", []):
                finding(ref, f"{where}.options[{j}].both")
                if ref not in volunteerable:
                    raise KnowledgeError(f"{where}.options[{j}].both: '{ref}' must be a finding one may volunteer")
        if q.get("multiple") and q["type"] != "choice":
            raise KnowledgeError(f"{where}.multiple: only a choice question takes several options")
        if q["type"] == "choice" and sum(1 for o in q["options"] if o.get("none")) > 1:
            raise KnowledgeError(f"{where}.options: at most one option may be marked none")
        for j, rng in enumerate(q.get("ranges", [])):
            for ref in rng["findings"]:
                finding(ref, f"{where}.ranges[{j}].findings")
        if "ask_if" in q:
            condition(q["ask_if"], f"{where}.ask_if")
        for j, variant in enumerate(q.get("variants", [])):
            condition(variant["if"], f"{where}.variants[{j}].if")
        for ref, detail in (q.get("yes_if_said") or {}).items():
            finding(ref, f"{where}.yes_if_said")
            said = next(g for g in data["findings"] if g["id"] == ref)
            if q["type"] != "yes_no" or not said.get("volunteer") or said.get("red_flag"):
                raise KnowledgeError(f"{where}.yes_if_said: '{ref}': a sign a person may say, not a red flag, as "
                                     "the yes of a yes/no question")
            if detail not in (said.get("details") or {}):
                raise KnowledgeError(f"{where}.yes_if_said: '{ref}' has no detail '{detail}'")
        if "follows" in q:
            if q["follows"] not in red_flags:
                raise KnowledgeError(f"{where}.follows: '{q['follows']}' is not a red flag")
            if q["type"] != "yes_no" or q.get("on_yes") or q.get("on_no") or "ask_if" in q:
                raise KnowledgeError(f"{where}: an 'is it new?' question is yes/no with no findings and no ask_if")
    seen_follows = [q["follows"] for q in data["questions"] if "follows" in q]
    if len(seen_follows) != len(set(seen_follows)):
        raise KnowledgeError("questions.yaml: follows: a red flag has two 'is it new?' questions")
    pol = data["policy"]
    for key in ("default", "stop_asking_at"):
        if pol[key] not in dispositions:
            raise KnowledgeError(f"rules.yaml: policy.{key}: unknown disposition '{pol[key]}'")
    if pol["unknown_red_flag"]["floor"] not in dispositions:
        raise KnowledgeError("rules.yaml: policy.unknown_red_flag.floor: unknown disposition")
    for key in ("all", "overrides", "with_any"):
        for ref in pol["self_care_when"].get(key, []):
            finding(ref, f"rules.yaml: policy.self_care_when.{key}")
    for ref in pol["self_care_when"].get("overrides", []):
        if ref in red_flags:
            raise KnowledgeError("rules.yaml: policy.self_care_when.overrides: a red flag is never set aside")
    for key, value in pol["unknown_red_flag"].get("floor_for", {}).items():
        if key not in dispositions or value not in dispositions:
            raise KnowledgeError(f"rules.yaml: policy.unknown_red_flag.floor_for.{key}: unknown disposition")
    for ref in pol["self_care_when"]["no_evidence_for"]:
        if ref not in categories:
            raise KnowledgeError(f"rules.yaml: policy.self_care_when.no_evidence_for: unknown category '{ref}'")


def compile_knowledge(directory: Path | None = None) -> dict[str, Any]:
    """Validated, merged knowledge as a plain dict (what compiled.json holds)."""
    directory = directory or knowledge_dir()
    src = _load_sources(directory)
    merged: dict[str, Any] = {
        "version": src["rules.yaml"]["version"],
        "categories": src["categories.yaml"]["categories"],
        "findings": src["findings.yaml"]["findings"],
        "questions": src["questions.yaml"]["questions"],
        "dispositions": src["rules.yaml"]["dispositions"],
        "policy": src["rules.yaml"]["policy"],
    }
    _check_references(merged)
    from_dict(merged, origin="sources")  # the runtime reader must accept it too
    return merged


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=None, help="knowledge folder (default: auto)")
    parser.add_argument("--check", action="store_true", help="only check that compiled.json is up to date")
    args = parser.parse_args(argv)
    directory = args.dir or knowledge_dir()
    try:
        text = render(compile_knowledge(directory))
    except KnowledgeError as exc:
        print(f"knowledge error: {exc}", file=sys.stderr)
        return 1
    target = directory / COMPILED_NAME
    if args.check:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run python -m triage.compile", file=sys.stderr)
            return 1
        print(f"{target} is up to date")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
