"""The Lambda artifact holds only what runs: the real lambda/Makefile copy step (NO_DEPS=1: the project's files
only; the dependencies are checked on the SAM build by .ci/sam-check with the same tools/artifact.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import artifact

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    art = tmp_path_factory.mktemp("artifact") / "SkillFunction"
    done = subprocess.run(["make", "-s", "-C", str(ROOT / "lambda"), "build-SkillFunction", f"ARTIFACTS_DIR={art}",
                           "NO_DEPS=1"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return art


def _files(art: Path) -> set[str]:
    return {p.relative_to(art).as_posix() for p in art.rglob("*") if p.is_file()}


def test_the_artifact_holds_exactly_the_project_files_that_run(built: Path) -> None:
    assert artifact.problems(built, with_dependencies=False) == []
    files = _files(built)
    assert files == artifact.expected_project_files()
    # Said independently of tools/artifact.py: the entry point, two packages of modules and strings, and the
    # compiled knowledge; not the compiler, the YAML sources, the schema, the article or any README.
    assert {f.split("/")[0] for f in files} == {"lambda_function.py", "skill", "triage", "knowledge"}
    assert {f for f in files if f.startswith("knowledge/")} == {"knowledge/compiled.json"}
    assert "triage/compile.py" not in files
    assert {Path(f).suffix for f in files} == {".py", ".json"}
    assert {f for f in files if f.endswith(".json")} == {"knowledge/compiled.json", "skill/strings.json"}
    assert not [f for f in files if re.search(r"(?i)(\.ya?ml|readme|article|schema)", f)]


def test_the_check_names_every_file_that_should_not_ship_or_is_missing(built: Path, tmp_path: Path) -> None:
    art = tmp_path / "SkillFunction"
    shutil.copytree(built, art)
    shutil.copy(ROOT / "knowledge" / "article.txt", art / "knowledge")
    shutil.copy(ROOT / "knowledge" / "rules.yaml", art / "knowledge")
    shutil.copy(ROOT / "knowledge" / "schema.json", art / "knowledge")
    shutil.copy(ROOT / "lambda" / "triage" / "compile.py", art / "triage")
    (art / "skill" / "strings.json").unlink()
    (art / "boto3").mkdir()
    (art / "boto3" / "__init__.py").write_text("", encoding="utf-8")
    found = artifact.problems(art, with_dependencies=True)
    for name in ("knowledge/article.txt", "knowledge/rules.yaml", "knowledge/schema.json", "triage/compile.py",
                 "boto3/__init__.py"):
        assert any(p.startswith("unexpected") and p.endswith(name) for p in found), (name, found)
    assert "missing: skill/strings.json" in found
    assert "bundled although the Lambda runtime provides it: boto3" in found
    assert any(p.startswith("dependency missing: ask_sdk_core") for p in found)
    assert subprocess.run([sys.executable, str(ROOT / "tools" / "artifact.py"), str(art)], capture_output=True,
                          check=False).returncode == 1


def test_third_party_files_are_told_apart_by_their_record(built: Path, tmp_path: Path) -> None:
    """A file listed in a *.dist-info/RECORD (and its bytecode) is a dependency's; an unlisted one is not."""
    art = tmp_path / "SkillFunction"
    shutil.copytree(built, art)
    (art / "somelib").mkdir()
    (art / "somelib" / "__init__.py").write_text("", encoding="utf-8")
    (art / "somelib" / "__pycache__").mkdir()
    (art / "somelib" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"")
    (art / "somelib" / "stray.txt").write_text("", encoding="utf-8")
    info = art / "somelib-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("somelib/__init__.py,,\nsomelib-1.0.dist-info/RECORD,,\n", encoding="utf-8")
    assert artifact.problems(art, with_dependencies=False) == [
        "unexpected (ships but does not run, or is not the project's): somelib/stray.txt"]


def test_the_artifact_runs_every_event_from_its_own_files_without_the_compiler(built: Path) -> None:
    """Run from the artifact's folder (as Lambda does): every module of the project comes from the artifact (not
    from this checkout, which the venv also knows), and nothing imports the compiler, PyYAML or jsonschema."""
    events = sorted((ROOT / "events").glob("*.json"))
    assert events
    script = (
        "import json, sys, lambda_function, skill, triage\n"
        f"for path in {[str(e) for e in events]!r}:\n"
        "    out = lambda_function.lambda_handler(json.load(open(path)), None)\n"
        "    assert out['version'] == '1.0', path\n"
        "print(json.dumps({'files': [lambda_function.__file__, skill.__file__, triage.__file__],\n"
        "                  'modules': sorted(sys.modules)}))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=built, env={"PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.splitlines()[-1])
    assert all(Path(f).resolve().is_relative_to(built.resolve()) for f in seen["files"]), seen["files"]
    assert not {"triage.compile", "yaml", "jsonschema"} & set(seen["modules"])
