"""For tests that start a Python child process running the project's code: this checkout's ``lambda/`` and root
first on the child's path (as pytest's ``pythonpath`` does in-process), whichever venv runs the tests — the shared
one has no project installed, and a venv's editable install may point at another checkout."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with PYTHONPATH led by this checkout's folders."""
    env = dict(os.environ if base is None else base)
    paths = [str(ROOT / "lambda"), str(ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env
