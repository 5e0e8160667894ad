"""Docker-free ``sam local invoke``: run the template's function on one event and print its response.

    python -m tools.invoke [SkillFunction] -e events/launch.json [--parameter-overrides SkillId=amzn1...]
        [--env KEY=VALUE ...] [--code-dir .aws-sam/build/SkillFunction] [--mode auto|rie|in-process]

Reads ``template.yaml`` (SAM short tags such as ``!Ref`` parse), finds the function's CodeUri, Handler and
Environment, and sets that environment: ``!Ref`` of a parameter resolves to ``--parameter-overrides`` or the
parameter's default (a parameter with neither leaves the variable unset: ``SKILL_ID`` is then not checked);
``!Ref`` of a resource (``TABLE_NAME`` -> the DynamoDB table) is left unset, so the skill runs without DynamoDB.
Point it at a table with ``--env TABLE_NAME=... --env AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000``.

Modes: ``rie`` runs the handler behind the real Lambda invoke API with the Runtime Interface Emulator (the
binary inside the aws-sam-cli wheel, e.g. in .venv-sam, or ``$AWS_LAMBDA_RIE``) and ``awslambdaric`` in this
Python, on 127.0.0.1 only; ``in-process`` imports the handler here. ``auto`` (default) prefers ``rie``. The
response goes to stdout, the mode and timings to stderr. Exit status 1 when the handler failed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
INVOKE_PATH = "/2015-03-31/functions/function/invocations"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags into their long form (``!Ref X`` -> ``{"Ref": "X"}``)."""


def _cfn_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a template")
    return data


@dataclass
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    env: dict[str, str]
    notes: list[str] = field(default_factory=list)


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``Key=Value`` pairs (several per argument, space-separated, as ``sam --parameter-overrides``)."""
    out: dict[str, str] = {}
    for item in items:
        for pair in item.split():
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise SystemExit(f"not KEY=VALUE: {pair!r}")
            out[key] = value
    return out


def function_from_template(
    template: dict[str, Any], base_dir: Path, logical_id: str | None = None, overrides: dict[str, str] | None = None
) -> Function:
    resources: dict[str, Any] = template.get("Resources") or {}
    functions = {k: v for k, v in resources.items() if v.get("Type") == "AWS::Serverless::Function"}
    if not functions:
        raise ValueError("no AWS::Serverless::Function in the template")
    if logical_id is None:
        if len(functions) != 1:
            raise ValueError(f"several functions, name one of: {', '.join(sorted(functions))}")
        logical_id = next(iter(functions))
    if logical_id not in functions:
        raise ValueError(f"no function {logical_id!r}; have {', '.join(sorted(functions))}")
    glob: dict[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    props: dict[str, Any] = {**glob, **(functions[logical_id].get("Properties") or {})}
    variables = {
        **((glob.get("Environment") or {}).get("Variables") or {}),
        **((props.get("Environment") or {}).get("Variables") or {}),
    }
    params: dict[str, Any] = template.get("Parameters") or {}
    overrides = overrides or {}
    fn = Function(
        logical_id=logical_id,
        code_dir=(base_dir / str(props.get("CodeUri", "."))).resolve(),
        handler=str(props["Handler"]),
        timeout=int(props.get("Timeout", 3)),
        memory=int(props.get("MemorySize", 128)),
        env={},
    )
    for name, raw in variables.items():
        value = _resolve(raw, params, resources, overrides)
        if value is None:
            fn.notes.append(f"{name} left unset ({json.dumps(raw)} has no local value)")
        else:
            fn.env[name] = value
    return fn


def _resolve(raw: Any, params: dict[str, Any], resources: dict[str, Any], overrides: dict[str, str]) -> str | None:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str | int | float):
        return str(raw)
    if isinstance(raw, dict) and set(raw) == {"Ref"}:
        ref = raw["Ref"]
        if ref in overrides:
            return overrides[ref]
        if ref in params and "Default" in params[ref]:
            return str(params[ref]["Default"])
        if ref == "AWS::Region":
            return os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    return None  # a resource, a parameter without default, or another intrinsic


def lambda_environment(fn: Function, extra: dict[str, str]) -> dict[str, str]:
    """The variables the Lambda runtime defines, then the template's, then ``--env``."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    env = {
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(fn.code_dir),
        "_HANDLER": fn.handler,
    }
    env.update(fn.env)
    env.update(extra)
    return env


# --- RIE ------------------------------------------------------------------------------------------------------


def find_rie() -> Path | None:
    """``$AWS_LAMBDA_RIE``, ``aws-lambda-rie`` on PATH, or the binary in an installed aws-sam-cli wheel."""
    arch = "arm64" if platform.machine().lower() in {"aarch64", "arm64"} else "x86_64"
    name = f"aws-lambda-rie-{arch}"
    candidates: list[Path] = []
    if os.environ.get("AWS_LAMBDA_RIE"):
        candidates.append(Path(os.environ["AWS_LAMBDA_RIE"]))
    on_path = shutil.which("aws-lambda-rie")
    if on_path:
        candidates.append(Path(on_path))
    spec = importlib.util.find_spec("samcli")
    if spec and spec.submodule_search_locations:
        candidates += [Path(p) / "local" / "rapid" / name for p in spec.submodule_search_locations]
    candidates += sorted(ROOT.glob(f".venv-sam/lib/python3*/site-packages/samcli/local/rapid/{name}"))
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def have_awslambdaric() -> bool:
    return importlib.util.find_spec("awslambdaric") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Outcome:
    mode: str
    response: Any
    failed: bool
    init_ms: float | None = None
    total_ms: float = 0.0
    logs: str = ""


_INIT_RE = re.compile(r"INIT REPORT\(durationMs: ([0-9.]+)\)")


def invoke_rie(fn: Function, event: dict[str, Any], env: dict[str, str], rie: Path, timeout: float) -> Outcome:
    port = _free_port()
    cmd = [
        str(rie),
        "--runtime-interface-emulator-address",
        f"127.0.0.1:{port}",
        sys.executable,
        "-m",
        "awslambdaric",
        fn.handler,
    ]
    # The handler's environment: this one less any AWS credentials/profile (it must not reach real AWS by
    # accident), plus the function's.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 - our own argv, no shell
        cmd,
        cwd=fn.code_dir,
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body = json.dumps(event).encode()
        url = f"http://127.0.0.1:{port}{INVOKE_PATH}"
        deadline = started + timeout
        while True:
            try:
                req = urllib.request.Request(url, data=body, method="POST")
                with urllib.request.urlopen(req, timeout=max(0.1, deadline - time.monotonic())) as resp:  # noqa: S310
                    raw = resp.read()
                break
            except urllib.error.URLError as e:
                if not isinstance(e.reason, ConnectionRefusedError) or time.monotonic() > deadline:
                    raise
                if proc.poll() is not None:
                    raise RuntimeError(f"the emulator exited with status {proc.returncode}") from e
                time.sleep(0.05)
        total_ms = (time.monotonic() - started) * 1000
    finally:
        _stop(proc)
    logs = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    match = _INIT_RE.search(logs)
    response = json.loads(raw) if raw else None
    failed = isinstance(response, dict) and "errorType" in response and "version" not in response
    return Outcome("rie", response, failed, float(match.group(1)) if match else None, total_ms, logs)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the emulator and its runtime child (its own process group), politely then firmly."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=3)
    except ProcessLookupError:
        pass


# --- in-process -----------------------------------------------------------------------------------------------


class LocalContext:
    """The attributes of Lambda's context object that handlers commonly read."""

    def __init__(self, fn: Function) -> None:
        self.function_name = fn.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = str(fn.memory)
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{fn.logical_id}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.logical_id}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + fn.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def invoke_in_process(fn: Function, event: dict[str, Any], env: dict[str, str]) -> Outcome:
    """Import the handler here (the environment is set first: the module builds the skill at import)."""
    module_name, _, attr = fn.handler.rpartition(".")
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("AWS_") and k not in env]:
        del os.environ[key]
    os.environ.update(env)
    # As the Lambda runtime does with its task root: the function's code folder (lambda/, or a built artifact with
    # --code-dir) first on sys.path for this import, and removed after. Not a way to find the project's packages
    # (they are installed); the point is to run the code that folder holds.
    sys.path.insert(0, str(fn.code_dir))
    started = time.monotonic()
    try:
        module = importlib.import_module(module_name)
        init_ms = (time.monotonic() - started) * 1000
        handler = getattr(module, attr)
        try:
            response = handler(event, LocalContext(fn))
            failed = False
        except Exception as e:
            response = {"errorType": type(e).__name__, "errorMessage": str(e)}
            failed = True
    finally:
        sys.path.remove(str(fn.code_dir))
        os.environ.clear()
        os.environ.update(saved)
    return Outcome("in-process", response, failed, init_ms, (time.monotonic() - started) * 1000)


# --- CLI ------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.invoke", description=__doc__.split("\n")[0])
    ap.add_argument("function", nargs="?", help="logical id (default: the template's only function)")
    ap.add_argument("-e", "--event", required=True, type=Path, help="event JSON file, e.g. events/launch.json")
    ap.add_argument("-t", "--template", type=Path, default=ROOT / "template.yaml")
    ap.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="extra/overriding variable")
    ap.add_argument("--code-dir", type=Path, help="run this directory instead of CodeUri (e.g. the sam build output)")
    ap.add_argument("--mode", choices=["auto", "rie", "in-process"], default="auto")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds for the whole RIE invocation")
    args = ap.parse_args(argv)

    template = load_template(args.template)
    fn = function_from_template(
        template, args.template.resolve().parent, args.function, parse_overrides(args.parameter_overrides)
    )
    if args.code_dir:
        fn.code_dir = args.code_dir.resolve()
    env = lambda_environment(fn, parse_overrides(args.env))
    event = json.loads(args.event.read_text(encoding="utf-8"))
    for note in fn.notes:
        print(f"note: {note}", file=sys.stderr)

    rie = find_rie()
    mode = args.mode
    if mode == "auto":
        mode = "rie" if rie and have_awslambdaric() else "in-process"
        if mode == "in-process":
            missing = "the RIE binary (install aws-sam-cli, e.g. .ci/sam-check)" if not rie else "awslambdaric"
            print(f"note: falling back to in-process: no {missing}", file=sys.stderr)
    if mode == "rie":
        if rie is None or not have_awslambdaric():
            print("error: --mode rie needs the RIE binary and awslambdaric in this Python", file=sys.stderr)
            return 2
        outcome = invoke_rie(fn, event, env, rie, args.timeout)
    else:
        outcome = invoke_in_process(fn, event, env)

    init = f", init {outcome.init_ms:.0f} ms" if outcome.init_ms is not None else ""
    print(f"mode: {outcome.mode} ({fn.logical_id}, {fn.handler}{init}, total {outcome.total_ms:.0f} ms)",
          file=sys.stderr)
    if outcome.failed and outcome.logs:
        print(outcome.logs, file=sys.stderr)
    print(json.dumps(outcome.response, indent=2))
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
