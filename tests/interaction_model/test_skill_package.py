"""The skill package in the ASK CLI v2 layout: skill-package/skill.json and interactionModels/custom/<locale>.json,
generated from the one source and current; ask-resources.json points the ASK CLI at it (and at nothing else: the
code is deployed by SAM); the old generated location is gone; the manifest states privacy and compliance as the
source says, with a reason for each."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tools import build_models

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
SRC = build_models.load_source()


def test_the_package_holds_exactly_the_manifest_and_one_model_per_locale():
    package = ROOT / "skill-package"
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file())
    assert files == sorted(["skill.json", *(f"interactionModels/custom/{loc}.json" for loc in LOCALES)])
    assert package == build_models.PACKAGE_DIR
    assert {build_models.model_path(loc) for loc in LOCALES} == {package / f for f in files if f != "skill.json"}


def test_the_package_is_what_the_source_makes():
    for path, text in build_models.outputs(SRC).items():
        if path == build_models.manifest_path():
            current = path.read_text(encoding="utf-8")
            # the development build, or a deployer's release build that passes the release checks
            assert current == text or build_models._is_current_release_manifest(SRC, current)
        else:
            assert path.read_text(encoding="utf-8") == text, path
    assert build_models.main(["--check"]) == 0


def test_ask_resources_points_the_ask_cli_at_the_package_only():
    resources = json.loads((ROOT / "ask-resources.json").read_text(encoding="utf-8"))
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    profile = resources["profiles"]["default"]
    assert (ROOT / profile["skillMetadata"]["src"]).resolve() == build_models.PACKAGE_DIR
    # SAM deploys the code and the infrastructure (template.yaml): the ASK CLI must not try to
    assert set(profile) == {"skillMetadata"}
    assert ".ask/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_old_generated_location_is_gone_and_nothing_reads_it():
    assert not (ROOT / "interaction_model" / "models").exists()
    assert not (ROOT / "interaction_model" / "skill.json").exists()
    old = re.compile(r"interaction_model\W+models|interaction_model/skill\.json")
    readers = [*ROOT.glob("tools/*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/**/*.py"),
               *ROOT.glob("bin/*"), ROOT / "README.md"]
    here = Path(__file__).resolve()
    assert [str(p) for p in readers if p.resolve() != here and p.is_file() and old.search(p.read_text("utf-8"))] == []


def test_the_development_manifest_marks_its_placeholders_and_a_release_refuses_them():
    manifest = build_models.build_manifest(SRC)["manifest"]
    url = manifest["privacyAndCompliance"]["locales"]["en-US"]["privacyPolicyUrl"]
    arn = manifest["apis"]["custom"]["endpoint"]["uri"]
    assert "DEVELOPMENT-PLACEHOLDER" in url and "DEVELOPMENT-PLACEHOLDER" in arn
    for check, value in ((build_models.check_privacy_url, url), (build_models.check_endpoint_arn, arn)):
        try:
            check(value)
        except build_models.ReleaseError:
            continue
        raise AssertionError(f"the release build would accept the development placeholder {value!r}")


def test_privacy_and_compliance_are_stated_truthfully_with_a_reason_each():
    pc = build_models.build_manifest(SRC)["manifest"]["privacyAndCompliance"]
    # the skill keeps answers (with the person's yes): personal information collected by voice
    assert pc["usesPersonalInfo"] is True
    assert pc["isChildDirected"] is False
    assert pc["containsAds"] is False
    assert pc["allowsPurchases"] is False
    assert pc["isExportCompliant"] is True
    assert set(pc["locales"]) == set(LOCALES)
    source = (ROOT / "interaction_model" / "source" / "model.yaml").read_text(encoding="utf-8")
    for key in ("uses_personal_info", "is_child_directed", "contains_ads", "allows_purchases", "is_export_compliant"):
        reason = re.search(rf"\n((?:[ \t]*#[^\n]*\n)+)[ \t]*{key}:", source)
        assert reason, f"{key} has no comment giving its reason in model.yaml"
        assert len(reason.group(1).split()) >= 6, key


def test_the_manifest_asks_for_skill_personalization_and_keeps_the_health_disclaimer():
    manifest = build_models.build_manifest(SRC)["manifest"]
    # without it Alexa never sends context.System.person.personId, so records could not be kept per person
    assert {"name": "alexa::person_id:read"} in manifest["permissions"]
    for info in manifest["publishingInformation"]["locales"].values():
        assert "not a substitute for professional medical advice" in info["description"]
        assert "emergency number" in info["description"]
    assert manifest["publishingInformation"]["category"] == "HEALTH_AND_FITNESS"
