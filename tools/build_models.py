"""Generate the Alexa skill package, in the ASK CLI v2 layout, from one source (interaction_model/source/model.yaml).

    python -m tools.build_models            # development build: skill-package/ (marked placeholders for the
                                            # privacy policy URL and the Lambda ARN)
    python -m tools.build_models --check    # fail if skill-package/ is stale (or old generated files linger)
    python -m tools.build_models --release --privacy-url URL --endpoint-arn ARN [--skill-id ID]
                                            # release build: refuses placeholders, example.com, http:, and
                                            # malformed ARNs; then `ask deploy --target skill-metadata`

skill-package/skill.json is the manifest; skill-package/interactionModels/custom/<locale>.json are the
interaction models (tools/nlu.py, the simulator and the tests read them from there). Release values may also come
from the environment: SKILL_PRIVACY_URL, SKILL_ENDPOINT_ARN, SKILL_ID. ``--skill-id`` records the skill id in
.ask/ask-states.json (untracked), where the ASK CLI looks for the skill to update. ``--check`` accepts a
release-built skill.json as current when its deploy-time values pass the release checks and everything else
matches the source, so a deployer's working tree still passes bin/test.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "interaction_model"
SOURCE = MODEL_DIR / "source" / "model.yaml"
PACKAGE_DIR = ROOT / "skill-package"
PRIVACY_POLICY = ROOT / "PRIVACY.md"
ASK_STATES = ROOT / ".ask" / "ask-states.json"
# Where earlier versions generated the models and the manifest: never a second copy that can drift.
LEGACY_OUTPUTS = (MODEL_DIR / "models", MODEL_DIR / "skill.json")

# PRIVACY.md carries this until the deployer writes their own contact into it (a release build refuses it).
CONTACT_PLACEHOLDER = "[DEPLOYER: SET A CONTACT ADDRESS BEFORE PUBLISHING]"
# Hosts reserved for documentation and testing (RFC 2606 / RFC 6761): never a real privacy policy.
_RESERVED_HOSTS = ("example.com", "example.org", "example.net")
_RESERVED_TLDS = ("example", "invalid", "localhost", "test", "local", "internal")
_PLACEHOLDER_WORDS = re.compile(
    r"placeholder|replace|example|todo|changeme|your[-_]|yourdomain|yoursite|xxx|<|>|\{|\}|\.\.\.|…", re.IGNORECASE
)
# arn:aws:lambda:<region>:<12-digit account>:function:<name>[:<version or alias>]
_LAMBDA_ARN = re.compile(
    r"arn:aws:lambda:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?P<account>\d{12}):function:"
    r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?"
)
_SKILL_ID = re.compile(r"amzn1\.ask\.skill\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PLACEHOLDER_ACCOUNTS = {"123456789012", "012345678901", "210987654321"} | {str(d) * 12 for d in range(10)}


class ReleaseError(ValueError):
    """A deploy-time value that must not ship (the message says which and why)."""


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


def model_path(locale: str, package: Path = PACKAGE_DIR) -> Path:
    """Where the interaction model of one locale is generated (the ASK CLI v2 layout)."""
    return package / "interactionModels" / "custom" / f"{locale}.json"


def manifest_path(package: Path = PACKAGE_DIR) -> Path:
    return package / "skill.json"


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


def build_manifest(
    src: dict[str, Any], privacy_url: str | None = None, endpoint_arn: str | None = None
) -> dict[str, Any]:
    """The manifest; without ``privacy_url`` / ``endpoint_arn`` it carries the source's development placeholders."""
    m = src["manifest"]
    pc = m["privacy_and_compliance"]
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
    url = privacy_url or m["privacy_policy_url"]
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
                "allowsPurchases": bool(pc["allows_purchases"]),
                "usesPersonalInfo": bool(pc["uses_personal_info"]),
                "isChildDirected": bool(pc["is_child_directed"]),
                "isExportCompliant": bool(pc["is_export_compliant"]),
                "containsAds": bool(pc["contains_ads"]),
                "locales": {loc: {"privacyPolicyUrl": url} for loc in src["locales"]},
            },
            "permissions": [{"name": name} for name in m.get("permissions", [])],
            "apis": {"custom": {"endpoint": {"uri": endpoint_arn or m["endpoint_arn"]}}},
        }
    }


def _dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def outputs(
    src: dict[str, Any],
    package: Path = PACKAGE_DIR,
    privacy_url: str | None = None,
    endpoint_arn: str | None = None,
) -> dict[Path, str]:
    """Every generated file and its text: the manifest and one interaction model per locale."""
    files = {model_path(loc, package): _dumps(build_model(src, loc)) for loc in src["locales"]}
    files[manifest_path(package)] = _dumps(build_manifest(src, privacy_url, endpoint_arn))
    return files


# --- release checks -------------------------------------------------------------------------------------------


def check_privacy_url(url: str) -> str:
    """The public privacy policy URL: https, a real host (not example.com, a reserved name or an IP address), no
    placeholder words, no credentials. Returns it; raises ReleaseError."""
    url = (url or "").strip()
    if not url:
        raise ReleaseError("no privacy policy URL: give --privacy-url https://… (or SKILL_PRIVACY_URL)")
    if any(c.isspace() for c in url) or len(url) > 2048:
        raise ReleaseError(f"privacy policy URL {url!r} is not a single URL")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise ReleaseError(f"privacy policy URL {url!r} is malformed") from None
    if parts.scheme != "https":
        raise ReleaseError(f"privacy policy URL {url!r} must use https (Amazon requires it)")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or parts.username or parts.password:
        raise ReleaseError(f"privacy policy URL {url!r} needs a host and no user name or password")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ReleaseError(f"privacy policy URL {url!r} must name a public host, not an IP address")
    if "." not in host:
        raise ReleaseError(f"privacy policy URL {url!r} must name a public host")
    if any(host == h or host.endswith("." + h) for h in _RESERVED_HOSTS) or host.rsplit(".", 1)[-1] in _RESERVED_TLDS:
        raise ReleaseError(f"privacy policy URL {url!r} is a documentation/test placeholder ({host}), not a policy")
    if _PLACEHOLDER_WORDS.search(url):
        raise ReleaseError(f"privacy policy URL {url!r} looks like a placeholder")
    return url


def check_endpoint_arn(arn: str) -> str:
    """The Lambda function's ARN, as SAM prints it (SkillFunctionArn): arn:aws:lambda:<region>:<12 digits>:
    function:<name>, not a placeholder account or name. Returns it; raises ReleaseError."""
    arn = (arn or "").strip()
    if not arn:
        raise ReleaseError("no endpoint ARN: give --endpoint-arn (the SkillFunctionArn output of sam deploy)")
    match = _LAMBDA_ARN.fullmatch(arn)
    if match is None:
        raise ReleaseError(
            f"endpoint ARN {arn!r} is not a Lambda function ARN "
            "(arn:aws:lambda:<region>:<12-digit account>:function:<name>)"
        )
    if match["account"] in _PLACEHOLDER_ACCOUNTS:
        raise ReleaseError(f"endpoint ARN {arn!r} has a placeholder account id ({match['account']})")
    if _PLACEHOLDER_WORDS.search(match["name"]) or _PLACEHOLDER_WORDS.search(match["qualifier"] or ""):
        raise ReleaseError(f"endpoint ARN {arn!r} has a placeholder function name")
    return arn


def check_skill_id(skill_id: str) -> str:
    skill_id = (skill_id or "").strip()
    if not _SKILL_ID.fullmatch(skill_id) or skill_id.endswith("000000000000"):
        raise ReleaseError(f"skill id {skill_id!r} is not a real skill id (amzn1.ask.skill.<uuid>)")
    return skill_id


def check_privacy_policy(path: Path = PRIVACY_POLICY) -> None:
    """The policy the URL points at is published from PRIVACY.md: it must name the deployer's contact."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ReleaseError(f"{path} is missing: the privacy policy is published from it") from None
    if CONTACT_PLACEHOLDER in text:
        raise ReleaseError(f"{path} still has {CONTACT_PLACEHOLDER}: write your contact address there first")


def release_outputs(
    src: dict[str, Any],
    privacy_url: str,
    endpoint_arn: str,
    package: Path = PACKAGE_DIR,
    privacy_policy: Path = PRIVACY_POLICY,
) -> dict[Path, str]:
    """The release skill package, after every check (raises ReleaseError on the first that fails)."""
    url = check_privacy_url(privacy_url)
    arn = check_endpoint_arn(endpoint_arn)
    check_privacy_policy(privacy_policy)
    files = outputs(src, package, url, arn)
    manifest = json.loads(files[manifest_path(package)])["manifest"]
    if not manifest["privacyAndCompliance"]["usesPersonalInfo"]:
        raise ReleaseError("usesPersonalInfo is false, but the skill keeps answers: fix the model source")
    return files


def _is_current_release_manifest(src: dict[str, Any], text: str) -> bool:
    """A skill.json written by --release counts as current if its deploy-time values still pass the checks and
    everything else is what the source makes."""
    try:
        manifest = json.loads(text)["manifest"]
        urls = {v["privacyPolicyUrl"] for v in manifest["privacyAndCompliance"]["locales"].values()}
        (url,) = urls
        arn = manifest["apis"]["custom"]["endpoint"]["uri"]
        check_privacy_url(url)
        check_endpoint_arn(arn)
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return text == _dumps(build_manifest(src, url, arn))


def write_ask_states(skill_id: str, path: Path = ASK_STATES, profile: str = "default") -> None:
    """Record the skill id where the ASK CLI v2 looks for it (keeping anything else the CLI stored there)."""
    try:
        states = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        states = {}
    if not isinstance(states, dict):
        states = {}
    states.setdefault("askcliStatesVersion", "2020-03-31")
    if not isinstance(states.get("profiles"), dict):
        states["profiles"] = {}
    if not isinstance(states["profiles"].get(profile), dict):
        states["profiles"][profile] = {}
    states["profiles"][profile]["skillId"] = skill_id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(states, indent=2) + "\n", encoding="utf-8")


def _legacy_files() -> list[Path]:
    found = []
    for path in LEGACY_OUTPUTS:
        if path.is_dir():
            found.extend(sorted(path.glob("*.json")))
        elif path.is_file():
            found.append(path)
    return found


def _write(files: dict[Path, str]) -> None:
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.build_models", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail if the generated files are stale")
    mode.add_argument("--release", action="store_true", help="build the skill package to upload (checked values)")
    parser.add_argument("--privacy-url", default=os.environ.get("SKILL_PRIVACY_URL", ""), help="public policy URL")
    parser.add_argument("--endpoint-arn", default=os.environ.get("SKILL_ENDPOINT_ARN", ""), help="Lambda ARN")
    parser.add_argument("--skill-id", default=os.environ.get("SKILL_ID", ""), help="record it for the ASK CLI")
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR, help="skill package folder (default skill-package)")
    parser.add_argument("--privacy-file", type=Path, default=PRIVACY_POLICY, help="the policy (default PRIVACY.md)")
    args = parser.parse_args(argv)
    src = load_source()
    package: Path = args.out

    if args.release:
        try:
            files = release_outputs(src, args.privacy_url, args.endpoint_arn, package, args.privacy_file)
            skill_id = check_skill_id(args.skill_id) if args.skill_id else None
        except ReleaseError as e:
            print(f"release build refused: {e}", file=sys.stderr)
            return 2
        _write(files)
        if skill_id:
            write_ask_states(skill_id, package.resolve().parent / ".ask" / "ask-states.json")
        print(f"release skill package written to {package}; next: ask deploy --target skill-metadata", file=sys.stderr)
        return 0

    files = outputs(src, package)
    if args.check:
        stale = []
        for path, text in files.items():
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if current == text:
                continue
            if path == manifest_path(package) and current is not None and _is_current_release_manifest(src, current):
                continue
            stale.append(str(path))
        stale += [f"{p} (no longer generated: delete it)" for p in _legacy_files()]
        if stale:
            print("stale (run python -m tools.build_models):", *stale, sep="\n  ", file=sys.stderr)
            return 1
        return 0

    _write(files)
    for path in _legacy_files():
        path.unlink()
    legacy_dir = LEGACY_OUTPUTS[0]
    if legacy_dir.is_dir() and not any(legacy_dir.iterdir()):
        legacy_dir.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
