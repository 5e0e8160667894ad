"""The release build (`python -m tools.build_models --release`): it never ships a placeholder privacy policy URL or
Lambda ARN, refuses them with a clear message and a non-zero exit, and makes the same package as the development
build with the real values in place. Run both as a function and as the command a deployer types; every run writes
into a temporary folder, never into the repository's skill-package/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import build_models
from tools.build_models import ReleaseError

ROOT = Path(__file__).resolve().parents[2]
SRC = build_models.load_source()
GOOD_URL = "https://alice-health.github.io/back-numbness-helper/privacy"
GOOD_ARN = "arn:aws:lambda:eu-west-1:493761028455:function:back-numbness-helper-SkillFunction-7QXK2PZ0AB1C"
GOOD_SKILL_ID = "amzn1.ask.skill.3f2b9c1e-8d4a-4b6f-9e2d-7a1c5b8e0f34"
DEV = build_models.build_manifest(SRC)["manifest"]
DEV_URL = DEV["privacyAndCompliance"]["locales"]["en-US"]["privacyPolicyUrl"]
DEV_ARN = DEV["apis"]["custom"]["endpoint"]["uri"]

BAD_URLS = [
    DEV_URL,
    "https://example.com/back-numbness-helper/privacy",
    "https://www.example.org/privacy",
    "https://policies.example.net/privacy",
    "http://alice-health.github.io/back-numbness-helper/privacy",
    "ftp://alice-health.github.io/privacy",
    "alice-health.github.io/privacy",
    "https://",
    "https://localhost/privacy",
    "https://192.0.2.10/privacy",
    "https://[2001:db8::1]/privacy",
    "https://intranet/privacy",
    "https://privacy.test/policy",
    "https://skill.invalid/privacy",
    "https://user:secret@alice-health.github.io/privacy",
    "https://alice-health.github.io/REPLACE-ME/privacy",
    "https://your-domain.com/privacy",
    "https://alice-health.github.io/<your-path>/privacy",
    "https://alice-health.github.io/privacy policy",
    "https://[2001:db8::1/privacy",
    "https://alice-health.github.io:99999/privacy",
    "https://alice-health.github.io:port/privacy",
    "",
    "   ",
]
BAD_ARNS = [
    DEV_ARN,
    "arn:aws:lambda:us-east-1:123456789012:function:REPLACE_WITH_SkillFunctionArn_FROM_SAM_OUTPUT",
    "arn:aws:lambda:us-east-1:123456789012:function:back-numbness-helper",  # the documentation account id
    "arn:aws:lambda:us-east-1:000000000000:function:back-numbness-helper",
    "arn:aws:lambda:us-east-1:49376102845:function:back-numbness-helper",  # 11 digits
    "arn:aws:lambda:us-east-1:4937610284555:function:back-numbness-helper",  # 13 digits
    "arn:aws:lambda:us-east-1:493761028455:back-numbness-helper",  # no "function:"
    "arn:aws:lambda:us-east-1:493761028455:layer:back-numbness-helper",
    "arn:aws:s3:::back-numbness-helper",
    "arn:aws:lambda:US-EAST-1:493761028455:function:back-numbness-helper",
    "arn:aws:lambda::493761028455:function:back-numbness-helper",
    "arn:aws:lambda:us-east-1:493761028455:function:",
    "arn:aws:lambda:us-east-1:493761028455:function:back numbness helper",
    "arn:aws:lambda:us-east-1:493761028455:function:" + "x" * 65,
    "arn:aws:lambda:us-east-1:493761028455:function:my-function:<alias>",
    "https://alice-health.github.io/skill",  # an HTTPS endpoint is not what this deployment uses
    "back-numbness-helper",
    "",
]
GOOD_ARNS = [
    GOOD_ARN,
    "arn:aws:lambda:us-east-1:493761028455:function:back-numbness-helper",
    "arn:aws:lambda:us-west-2:493761028455:function:back_numbness_helper:live",
    "arn:aws:lambda:eu-west-1:493761028455:function:back-numbness-helper:$LATEST",
]


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """PRIVACY.md as a deployer publishes it: the contact placeholder replaced."""
    text = (ROOT / "PRIVACY.md").read_text(encoding="utf-8")
    assert build_models.CONTACT_PLACEHOLDER in text
    path = tmp_path / "PRIVACY.md"
    path.write_text(text.replace(build_models.CONTACT_PLACEHOLDER, "privacy@alice-health.org"), encoding="utf-8")
    return path


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SKILL_")}
    return subprocess.run(
        [sys.executable, "-m", "tools.build_models", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- the checks, as functions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_placeholder_or_unsafe_privacy_url_is_refused(url: str) -> None:
    with pytest.raises(ReleaseError, match="privacy policy URL"):
        build_models.check_privacy_url(url)


@pytest.mark.parametrize("arn", BAD_ARNS)
def test_a_placeholder_or_malformed_endpoint_arn_is_refused(arn: str) -> None:
    with pytest.raises(ReleaseError, match="endpoint ARN"):
        build_models.check_endpoint_arn(arn)


@pytest.mark.parametrize("arn", GOOD_ARNS)
def test_real_lambda_arns_are_accepted(arn: str) -> None:
    assert build_models.check_endpoint_arn(f"  {arn}\n") == arn


@pytest.mark.parametrize(
    "url", [GOOD_URL, "https://bnh.alice-health.org/privacy", "https://skills.alice-health.co.uk:443/privacy.html"]
)
def test_real_privacy_urls_are_accepted(url: str) -> None:
    assert build_models.check_privacy_url(url) == url


def test_the_committed_policy_still_has_its_contact_placeholder_and_a_release_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="contact"):
        build_models.check_privacy_policy(ROOT / "PRIVACY.md")
    with pytest.raises(ReleaseError, match="missing"):
        build_models.check_privacy_policy(tmp_path / "nothing.md")
    with pytest.raises(ReleaseError, match="contact"):
        build_models.release_outputs(SRC, GOOD_URL, GOOD_ARN, tmp_path / "pkg", ROOT / "PRIVACY.md")


def test_release_package_is_the_development_package_with_the_real_values(tmp_path: Path, policy: Path) -> None:
    package = tmp_path / "skill-package"
    release = build_models.release_outputs(SRC, GOOD_URL, GOOD_ARN, package, policy)
    dev = build_models.outputs(SRC, package)
    assert set(release) == set(dev)
    for path, text in release.items():
        assert "example.com" not in text and "PLACEHOLDER" not in text and "123456789012" not in text, path
        if path != build_models.manifest_path(package):
            assert text == dev[path]
    manifest = json.loads(release[build_models.manifest_path(package)])["manifest"]
    assert manifest["apis"]["custom"]["endpoint"]["uri"] == GOOD_ARN
    assert {v["privacyPolicyUrl"] for v in manifest["privacyAndCompliance"]["locales"].values()} == {GOOD_URL}
    assert set(manifest["privacyAndCompliance"]["locales"]) == set(SRC["locales"])
    dev_manifest = json.loads(dev[build_models.manifest_path(package)])["manifest"]
    dev_manifest["apis"]["custom"]["endpoint"]["uri"] = GOOD_ARN
    for info in dev_manifest["privacyAndCompliance"]["locales"].values():
        info["privacyPolicyUrl"] = GOOD_URL
    assert manifest == dev_manifest


@pytest.mark.parametrize(("url", "arn"), [(BAD_URLS[0], GOOD_ARN), (GOOD_URL, BAD_ARNS[0]), (BAD_URLS[1], BAD_ARNS[1])])
def test_release_outputs_refuses_any_placeholder(tmp_path: Path, policy: Path, url: str, arn: str) -> None:
    with pytest.raises(ReleaseError):
        build_models.release_outputs(SRC, url, arn, tmp_path / "pkg", policy)
    assert not (tmp_path / "pkg").exists()


# --- the command a deployer types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "arn", "reason"),
    [
        ("https://example.com/back-numbness-helper/privacy", GOOD_ARN, "example.com"),
        ("http://alice-health.github.io/back-numbness-helper/privacy", GOOD_ARN, "https"),
        (GOOD_URL, "arn:aws:lambda:us-east-1:123456789012:function:REPLACE_WITH_SkillFunctionArn", "placeholder"),
        (GOOD_URL, "arn:aws:lambda:us-east-1:4937610284:function:back-numbness-helper", "not a Lambda function ARN"),
        (GOOD_URL, "", "no endpoint ARN"),
    ],
)
def test_command_refuses_with_a_clear_message_and_writes_nothing(
    tmp_path: Path, policy: Path, url: str, arn: str, reason: str
) -> None:
    repo_package = tree(build_models.PACKAGE_DIR)
    out = tmp_path / "skill-package"
    done = run_cli("--release", "--privacy-url", url, "--endpoint-arn", arn, "--out", str(out), "--privacy-file",
                   str(policy))
    assert done.returncode != 0
    assert "release build refused" in done.stderr and reason in done.stderr, done.stderr
    assert not out.exists()
    assert tree(build_models.PACKAGE_DIR) == repo_package


def test_command_refuses_the_committed_development_values(tmp_path: Path, policy: Path) -> None:
    out = tmp_path / "skill-package"
    done = run_cli("--release", "--privacy-url", DEV_URL, "--endpoint-arn", DEV_ARN, "--out", str(out),
                   "--privacy-file", str(policy))
    assert done.returncode != 0 and "privacy policy URL" in done.stderr
    assert not out.exists()


def test_command_with_real_values_writes_the_ask_cli_package_and_the_skill_id(tmp_path: Path, policy: Path) -> None:
    repo_package = tree(build_models.PACKAGE_DIR)
    out = tmp_path / "skill-package"
    done = run_cli("--release", "--privacy-url", GOOD_URL, "--endpoint-arn", GOOD_ARN, "--skill-id", GOOD_SKILL_ID,
                   "--out", str(out), "--privacy-file", str(policy))
    assert done.returncode == 0, done.stderr
    assert "ask deploy --target skill-metadata" in done.stderr
    written = tree(out)
    expected = build_models.release_outputs(SRC, GOOD_URL, GOOD_ARN, out, policy)
    assert written == {str(p.relative_to(out)): t.encode("utf-8") for p, t in expected.items()}
    states = json.loads((tmp_path / ".ask" / "ask-states.json").read_text())
    assert states["profiles"]["default"]["skillId"] == GOOD_SKILL_ID
    assert tree(build_models.PACKAGE_DIR) == repo_package
    # and --check accepts that release build as current
    assert run_cli("--check", "--out", str(out)).returncode == 0


def test_command_takes_the_values_from_the_environment(tmp_path: Path, policy: Path) -> None:
    out = tmp_path / "skill-package"
    env = {"SKILL_PRIVACY_URL": GOOD_URL, "SKILL_ENDPOINT_ARN": GOOD_ARN}
    done = run_cli("--release", "--out", str(out), "--privacy-file", str(policy), env=env)
    assert done.returncode == 0, done.stderr
    assert GOOD_ARN in (out / "skill.json").read_text()
    env["SKILL_ENDPOINT_ARN"] = DEV_ARN
    done = run_cli("--release", "--out", str(tmp_path / "again"), "--privacy-file", str(policy), env=env)
    assert done.returncode != 0 and "endpoint ARN" in done.stderr


def test_a_bad_skill_id_is_refused_before_anything_is_written(tmp_path: Path, policy: Path) -> None:
    out = tmp_path / "skill-package"
    done = run_cli("--release", "--privacy-url", GOOD_URL, "--endpoint-arn", GOOD_ARN, "--skill-id",
                   "amzn1.ask.skill.00000000-0000-0000-0000-000000000000", "--out", str(out), "--privacy-file",
                   str(policy))
    assert done.returncode != 0 and "skill id" in done.stderr
    assert not out.exists() and not (tmp_path / ".ask").exists()


def test_skill_id_is_merged_into_existing_ask_states(tmp_path: Path) -> None:
    path = tmp_path / ".ask" / "ask-states.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"askcliStatesVersion": "2020-03-31",
                                "profiles": {"default": {"skillId": "old", "skillMetadata": {"lastDeployHash": "h"}}}}))
    build_models.write_ask_states(GOOD_SKILL_ID, path)
    profile = json.loads(path.read_text())["profiles"]["default"]
    assert profile == {"skillId": GOOD_SKILL_ID, "skillMetadata": {"lastDeployHash": "h"}}


# --- --check over a release build ------------------------------------------------------------------------------


def test_check_accepts_a_valid_release_build_and_nothing_else(
    tmp_path: Path, policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SKILL_PRIVACY_URL", "SKILL_ENDPOINT_ARN", "SKILL_ID"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "skill-package"
    assert build_models.main(["--out", str(out)]) == 0
    assert build_models.main(["--check", "--out", str(out)]) == 0
    assert build_models.main(["--release", "--privacy-url", GOOD_URL, "--endpoint-arn", GOOD_ARN, "--out", str(out),
                              "--privacy-file", str(policy)]) == 0
    assert build_models.main(["--check", "--out", str(out)]) == 0
    manifest_file = build_models.manifest_path(out)
    release_text = manifest_file.read_text()
    # a release manifest whose values would now be refused is stale
    manifest_file.write_text(release_text.replace(GOOD_URL, GOOD_URL.replace("https:", "http:")))
    assert build_models.main(["--check", "--out", str(out)]) == 1
    # so is one whose other fields drifted from the source
    manifest_file.write_text(release_text.replace('"usesPersonalInfo": true', '"usesPersonalInfo": false'))
    assert build_models.main(["--check", "--out", str(out)]) == 1
    # and a missing interaction model
    manifest_file.write_text(release_text)
    build_models.model_path("en-IN", out).unlink()
    assert build_models.main(["--check", "--out", str(out)]) == 1


def test_check_fails_while_the_old_generated_files_linger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "skill-package"
    assert build_models.main(["--out", str(out)]) == 0
    legacy_models, legacy_manifest = (tmp_path / "interaction_model" / p.name for p in build_models.LEGACY_OUTPUTS)
    legacy_models.mkdir(parents=True)
    (legacy_models / "en-US.json").write_text("{}")
    legacy_manifest.write_text("{}")
    monkeypatch.setattr(build_models, "LEGACY_OUTPUTS", (legacy_models, legacy_manifest))
    assert build_models.main(["--check", "--out", str(out)]) == 1
    assert build_models.main(["--out", str(out)]) == 0  # a plain build removes them
    assert not legacy_models.exists() and not legacy_manifest.exists()
    assert build_models.main(["--check", "--out", str(out)]) == 0
