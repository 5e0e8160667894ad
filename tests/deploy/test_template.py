"""template.yaml against the code: handler, environment, table shape, least privilege, artifact layout."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from skill import persistence
from tools.invoke import function_from_template, load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FN = RESOURCES["SkillFunction"]["Properties"]
# Read by the code but deliberately not in the template: set by the Lambda runtime (AWS_*), or optional with a
# layout-based default (KNOWLEDGE_DIR: the artifact ships knowledge/ next to lambda_function.py).
NOT_IN_TEMPLATE = {"KNOWLEDGE_DIR"}
_ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|os\.environ\.setdefault|os\.environ\.pop)\(\s*["']([A-Z0-9_]+)["']"""
    r"""|os\.environ\[\s*["']([A-Z0-9_]+)["']\s*\]"""
)


def env_names_read_by_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "lambda").rglob("*.py"):
        for m in _ENV_READ.finditer(path.read_text(encoding="utf-8")):
            names.add(m.group(1) or m.group(2))
    return {n for n in names if not n.startswith("AWS_")}


def test_the_grep_finds_what_it_should() -> None:
    found = env_names_read_by_code()
    assert {"TABLE_NAME", "DATA_TTL_DAYS"} <= found  # read in skill/persistence.py: the regex works


def test_template_sets_exactly_the_variables_the_code_reads() -> None:
    in_template = set(FN["Environment"]["Variables"])
    assert in_template == env_names_read_by_code() - NOT_IN_TEMPLATE
    assert in_template == {"TABLE_NAME", "SKILL_ID", "LOG_LEVEL", "DATA_TTL_DAYS"}


def test_handler_and_code_uri_point_at_a_function() -> None:
    code_dir = ROOT / FN["CodeUri"]
    module, _, attr = FN["Handler"].rpartition(".")
    source = code_dir / f"{module.replace('.', '/')}.py"
    assert source.is_file()
    assert re.search(rf"^(def {attr}\(|{attr}\s*=)", source.read_text(encoding="utf-8"), re.M)
    assert FN["Runtime"] == "python3.12"


def test_handler_imports_the_way_lambda_does() -> None:
    """Working directory = CodeUri, no PYTHONPATH, no repo root on sys.path, no table: import and call."""
    code_dir = ROOT / FN["CodeUri"]
    event = (ROOT / "events" / "launch.json").read_text(encoding="utf-8")
    script = (
        "import json, sys, lambda_function\n"
        f"assert {str(ROOT)!r} not in sys.path\n"
        f"out = lambda_function.lambda_handler(json.loads({event!r}), None)\n"
        "print(json.dumps(out))\n"
    )
    # -S: no site initialisation, so no .pth (the editable install puts the repo on sys.path); the venv's
    # packages stand in for the runtime's.
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    done = subprocess.run([sys.executable, "-S", "-c", script], cwd=code_dir, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1])["response"]["outputSpeech"]


def test_alexa_trigger_is_locked_to_the_skill_id() -> None:
    events = FN["Events"]
    alexa = [e for e in events.values() if e["Type"] == "AlexaSkill"]
    assert len(alexa) == 1 and alexa[0]["Properties"]["SkillId"] == {"Ref": "SkillId"}
    assert FN["Environment"]["Variables"]["SKILL_ID"] == {"Ref": "SkillId"}
    assert "Default" not in TEMPLATE["Parameters"]["SkillId"]  # never deploy locked to a placeholder


def test_table_matches_what_the_adapter_writes() -> None:
    table = RESOURCES["SkillTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": persistence.PARTITION_KEY, "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": persistence.TTL_ATTRIBUTE, "Enabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert FN["Environment"]["Variables"]["TABLE_NAME"] == {"Ref": "SkillTable"}


def test_policy_is_least_privilege_on_that_table_only() -> None:
    statements = [s for p in FN["Policies"] for s in p["Statement"]]
    assert statements, "no inline policy"
    for s in statements:
        assert s["Effect"] == "Allow"
        assert set(s["Action"]) <= {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
        assert s["Resource"] == {"Fn::GetAtt": ["SkillTable", "Arn"]}
    assert {a for s in statements for a in s["Action"]} == {
        "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


def test_logs_retained_and_arn_output() -> None:
    group = RESOURCES[FN["LoggingConfig"]["LogGroup"]["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup" and 1 <= group["Properties"]["RetentionInDays"] <= 90
    assert TEMPLATE["Outputs"]["SkillFunctionArn"]["Value"] == {"Fn::GetAtt": ["SkillFunction", "Arn"]}
    assert FN["Timeout"] < 8  # Alexa stops waiting after 8 s


def test_invoke_resolves_parameters_like_sam() -> None:
    fn = function_from_template(TEMPLATE, ROOT, None, {"SkillId": "amzn1.ask.skill.x", "LogLevel": "DEBUG"})
    assert fn.env == {"SKILL_ID": "amzn1.ask.skill.x", "LOG_LEVEL": "DEBUG", "DATA_TTL_DAYS": "30"}
    assert any("TABLE_NAME" in n for n in fn.notes)  # a resource: no local value, so no DynamoDB
    assert fn.code_dir == (ROOT / "lambda").resolve() and fn.handler == "lambda_function.lambda_handler"


@pytest.mark.skipif(not (ROOT / "lambda" / "Makefile").is_file(), reason="no makefile")
def test_built_layout_runs_with_its_own_knowledge(tmp_path: Path) -> None:
    """The real Makefile's copy step (NO_DEPS: dependencies from this environment), then the handler runs from
    the artifact directory, which has no repo around it: the knowledge must come from inside it."""
    art = tmp_path / "SkillFunction"
    done = subprocess.run(["make", "-s", "-C", str(ROOT / "lambda"), "build-SkillFunction", f"ARTIFACTS_DIR={art}",
                           "NO_DEPS=1"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for need in ("lambda_function.py", "skill/__init__.py", "triage/__init__.py", "knowledge/compiled.json"):
        assert (art / need).is_file(), need
    assert not list(art.rglob("__pycache__"))
    event = (ROOT / "events" / "volunteer_emergency.json").read_text(encoding="utf-8")
    script = (
        "import json, lambda_function\n"
        f"print(json.dumps(lambda_function.lambda_handler(json.loads({event!r}), None)))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=art, env={"PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    response = json.loads(run.stdout.splitlines()[-1])["response"]
    # the volunteered emergency sign is checked ("is that new?") with its own knowledge; the reprompt warns
    assert "new, or worse" in response["outputSpeech"]["ssml"]
    assert "emergency" in response["reprompt"]["outputSpeech"]["ssml"]


def test_sam_check_script_is_executable() -> None:
    script = ROOT / ".ci" / "sam-check"
    assert script.is_file() and script.stat().st_mode & 0o111
    assert importlib.util.find_spec("yaml") is not None
