"""What the Lambda artifact may hold: exactly the project's run-time files, plus the locked third-party packages.

    python tools/artifact.py .aws-sam/build/SkillFunction [--no-deps]

Exit 0 and a one-line summary (files, bytes unzipped and zipped), or exit 1 with every problem: a project file
that should not ship (the knowledge compiler, YAML sources, the schema, the article, a README, stray files), one
that is missing, a package the Lambda runtime provides (boto3...), or a missing dependency. Third-party files are
the ones a ``*.dist-info/RECORD`` lists (and their bytecode); everything else is the project's and must be in
``expected_project_files``. ``--no-deps``: an artifact built with ``NO_DEPS=1`` (no third-party packages).

Standard library only: ``.ci/sam-check`` runs it with the Lambda runtime's Python, outside the project's venv.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import posixpath
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAMBDA = ROOT / "lambda"

# The project's run-time files: the entry point, the compiled knowledge, and the packages' modules and data.
ENTRY_FILES = ("lambda_function.py", "knowledge/compiled.json")
PACKAGES = ("skill", "triage")
PACKAGE_FILE_SUFFIXES = (".py", ".json")
# Modules of those packages that only development needs (lambda/Makefile's DEV_ONLY must say the same).
DEV_ONLY = frozenset({"triage/compile.py"})
# Provided by the Lambda Python runtime: bundling them would only add megabytes (and shadow the runtime's).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath")
# Top-level modules the handler cannot run without.
REQUIRED_DEPENDENCIES = ("ask_sdk_core/__init__.py", "ask_sdk_dynamodb/adapter.py", "ask_sdk_model/__init__.py")


def expected_project_files(lambda_dir: Path = LAMBDA) -> set[str]:
    """Paths (relative, '/'-separated) of the project's files the artifact must hold, and nothing else."""
    files = set(ENTRY_FILES)
    for package in PACKAGES:
        for path in (lambda_dir / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in PACKAGE_FILE_SUFFIXES:
                rel = path.relative_to(lambda_dir).as_posix()
                if rel not in DEV_ONLY:
                    files.add(rel)
    return files


def _all_files(artifact: Path) -> set[str]:
    return {p.relative_to(artifact).as_posix() for p in artifact.rglob("*") if p.is_file() or p.is_symlink()}


def third_party_files(artifact: Path) -> set[str]:
    """Every file an installed distribution's RECORD lists, and the .dist-info folders themselves."""
    owned: set[str] = set()
    for record in artifact.glob("*.dist-info/RECORD"):
        with record.open(encoding="utf-8", newline="") as f:
            owned.update(posixpath.normpath(row[0]) for row in csv.reader(f) if row)
        owned.update(p.relative_to(artifact).as_posix() for p in record.parent.rglob("*") if p.is_file())
    return owned


def source_of(pyc: str) -> str | None:
    """``a/__pycache__/b.cpython-312.pyc`` -> ``a/b.py``; None for anything else."""
    parts = pyc.split("/")
    if len(parts) < 2 or parts[-2] != "__pycache__" or not parts[-1].endswith(".pyc"):
        return None
    return "/".join([*parts[:-2], parts[-1].split(".", 1)[0] + ".py"])


def project_files(artifact: Path) -> set[str]:
    """The artifact's files that no third-party distribution owns (bytecode counts as its source's)."""
    owned = third_party_files(artifact)
    out = set()
    for rel in _all_files(artifact) - owned:
        src = source_of(rel)
        if src is not None and src in owned:
            continue
        out.add(rel)
    return out


def problems(artifact: Path, *, with_dependencies: bool = True, lambda_dir: Path = LAMBDA) -> list[str]:
    found: list[str] = []
    expected = expected_project_files(lambda_dir)
    actual = project_files(artifact)
    for rel in sorted(actual - expected):
        src = source_of(rel)
        if src is not None and src in expected:
            continue  # the bytecode of a file that ships
        found.append(f"unexpected (ships but does not run, or is not the project's): {rel}")
    found.extend(f"missing: {rel}" for rel in sorted(expected - actual))
    for name in RUNTIME_PROVIDED:
        if (artifact / name).exists() or list(artifact.glob(f"{name}-*.dist-info")):
            found.append(f"bundled although the Lambda runtime provides it: {name}")
    if with_dependencies:
        found.extend(f"dependency missing: {rel}" for rel in REQUIRED_DEPENDENCIES if not (artifact / rel).is_file())
    return found


@dataclass(frozen=True)
class Size:
    files: int
    unzipped: int
    zipped: int

    def __str__(self) -> str:
        return (f"{self.files} files, {self.unzipped / 1e6:.2f} MB unzipped, {self.zipped / 1e6:.2f} MB zipped "
                f"({self.unzipped} / {self.zipped} bytes)")


def size(artifact: Path) -> Size:
    buf = io.BytesIO()
    files = total = 0
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for directory, _, names in os.walk(artifact):
            for name in sorted(names):
                path = os.path.join(directory, name)
                z.write(path, os.path.relpath(path, artifact))
                files += 1
                total += os.path.getsize(path)
    return Size(files, total, buf.tell())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python tools/artifact.py", description=__doc__.split("\n")[0])
    ap.add_argument("artifact", type=Path, help="the built function directory (.aws-sam/build/SkillFunction)")
    ap.add_argument("--no-deps", action="store_true", help="built with NO_DEPS=1: no third-party packages expected")
    args = ap.parse_args(argv)
    if not (args.artifact / "lambda_function.py").is_file():
        print(f"artifact: {args.artifact} has no lambda_function.py (not built?)", file=sys.stderr)
        return 1
    found = problems(args.artifact, with_dependencies=not args.no_deps)
    for line in found:
        print(f"artifact: {line}", file=sys.stderr)
    if found:
        return 1
    print(f"artifact: {len(expected_project_files())} project files as expected; {size(args.artifact)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
