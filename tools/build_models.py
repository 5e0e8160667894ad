"""Generate the Alexa interaction models (one per locale) and the skill manifest from one source.

    python -m tools.build_models           # write interaction_model/models/*.json and interaction_model/skill.json
    python -m tools.build_models --check   # fail if the generated files are stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "interaction_model"
SOURCE = MODEL_DIR / "source" / "model.yaml"


def load_source(path: Path = SOURCE) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


_GROUP = re.compile(r"\(([^()\[\]]*)\)|\[([^()\[\]]*)\]")


def expand(sample: str) -> list[str]:
    """A compact sample as the plain samples Alexa needs: "(a|b)" picks one, "[a|b]" picks one or none.

    "(yes|yeah) [I have|I do]" -> "yes", "yes I have", "yes I do", "yeah", ... Groups do not nest. Alexa's
    samples are plain text, so the source is written compactly and the generated models hold every form."""
    match = _GROUP.search(sample)
    if match is None:
        return [" ".join(sample.split())]
    choices = (match.group(1) if match.group(1) is not None else match.group(2)).split("|")
    if match.group(2) is not None:
        choices.append("")
    head, tail = sample[: match.start()], sample[match.end() :]
    out: list[str] = []
    for choice in choices:
        out.extend(expand(head + choice.strip() + tail))
    return list(dict.fromkeys(s for s in out if s))


def _slot_type(name: str, values: dict[str, list[str]], extra: dict[str, list[str]]) -> dict[str, Any]:
    out = []
    for value_id, synonyms in values.items():
        words = list(dict.fromkeys(w for s in [*synonyms, *extra.get(value_id, [])] for w in expand(s)))
        out.append({"id": value_id, "name": {"value": words[0], "synonyms": words[1:]}})
    return {"name": name, "values": out}


def build_model(src: dict[str, Any], locale: str) -> dict[str, Any]:
    extra = src.get("locale_synonyms", {}).get(locale) or {}
    extra_samples = src.get("locale_samples", {}).get(locale) or {}
    intents = []
    for name, spec in src["intents"].items():
        spec = spec or {}
        compact = [*spec.get("samples", []), *extra_samples.get(name, [])]
        samples = list(dict.fromkeys(s for c in compact for s in expand(c)))
        intent: dict[str, Any] = {"name": name, "samples": samples}
        if spec.get("slots"):
            intent["slots"] = [{"name": s, "type": t} for s, t in spec["slots"].items()]
        intents.append(intent)
    types = [_slot_type(n, v, extra.get(n, {})) for n, v in src["slot_types"].items()]
    language_model: dict[str, Any] = {"invocationName": src["invocation"]}
    if src.get("model_configuration"):
        language_model["modelConfiguration"] = src["model_configuration"]
    language_model.update({"intents": intents, "types": types})
    return {"interactionModel": {"languageModel": language_model}}


def build_manifest(src: dict[str, Any]) -> dict[str, Any]:
    m = src["manifest"]
    locales = {
        loc: {
            "name": m["name"],
            "summary": m["summary"],
            "description": m["description"],
            "examplePhrases": m["example_phrases"],
            "keywords": m["keywords"],
        }
        for loc in src["locales"]
    }
    return {
        "manifest": {
            "manifestVersion": "1.0",
            "publishingInformation": {
                "locales": locales,
                "isAvailableWorldwide": False,
                "distributionCountries": ["US", "GB", "CA", "AU", "IN"],
                "testingInstructions": "Say: open back numbness helper, then answer yes or no. Not medical advice.",
                "category": "HEALTH_AND_FITNESS",
            },
            "privacyAndCompliance": {
                "allowsPurchases": False,
                "usesPersonalInfo": False,
                "isChildDirected": False,
                "isExportCompliant": True,
                "containsAds": False,
                "locales": {loc: {"privacyPolicyUrl": m["privacy_policy_url"]} for loc in src["locales"]},
            },
            "apis": {"custom": {"endpoint": {"uri": m["endpoint_arn"]}}},
        }
    }


def outputs(src: dict[str, Any]) -> dict[Path, str]:
    files = {
        MODEL_DIR / "models" / f"{loc}.json": json.dumps(build_model(src, loc), indent=2, ensure_ascii=False) + "\n"
        for loc in src["locales"]
    }
    files[MODEL_DIR / "skill.json"] = json.dumps(build_manifest(src), indent=2, ensure_ascii=False) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs(load_source()).items():
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale (run python -m tools.build_models):", *map(str, stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
