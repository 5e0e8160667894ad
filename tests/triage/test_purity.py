"""6. The triage core ships with the Lambda and is shared by every front end: no ask_sdk, boto3, flask (nor
botocore, moto) import anywhere under lambda/triage."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lambda" / "triage"
FORBIDDEN = ("ask_sdk", "ask_sdk_core", "ask_sdk_model", "boto3", "botocore", "flask", "flask_ask_sdk", "moto")


def _forbidden(name: str) -> bool:
    top = name.split(".")[0]
    return top in FORBIDDEN or top.startswith("ask_sdk")


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))
    return names


def test_the_package_has_modules() -> None:
    assert {p.name for p in PACKAGE.glob("*.py")} >= {"__init__.py", "knowledge.py", "engine.py", "compile.py"}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_forbidden_import_in_source(path: Path) -> None:
    bad = sorted(n for n in imported_modules(path.read_text(encoding="utf-8")) if _forbidden(n))
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_ast_check_would_catch_one() -> None:
    src = "import boto3\nfrom ask_sdk_core.skill import X\nimport importlib\nimportlib.import_module('flask')\n"
    assert {n for n in imported_modules(src) if _forbidden(n)} == {"boto3", "ask_sdk_core.skill", "flask"}


def test_importing_triage_loads_none_of_them() -> None:
    code = (
        "import json, sys\n"
        "import triage, triage.knowledge, triage.engine, triage.durations\n"
        "from triage.knowledge import load_knowledge\n"
        "from triage import engine\n"
        "kb = load_knowledge()\n"
        "engine.next_step(engine.answer(engine.new_state(kb), kb, 'no'), kb)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT / "lambda"), "PATH": "/usr/bin:/bin"}, timeout=60)
    modules = json.loads(out.stdout)
    assert "triage.engine" in modules
    assert not [m for m in modules if _forbidden(m)]
    # the run-time path needs neither PyYAML nor jsonschema (development tools)
    assert "yaml" not in modules and "jsonschema" not in modules
