# Shared set-up for bin/test, bin/simulate and bin/lock: finds a Python >= 3.12, makes .venv (VENV=... overrides),
# installs the lock requirements-dev.txt and this project (editable) into it, again only when the lock, pyproject.toml
# or the checkout's path changes.
# Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"

find_python() {
  local c v
  for c in "${PYTHON:-}" python3.12 python3.13 python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  # pyenv installs that are not the active version
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.|$)' | sort -V -r); do
      c="$(pyenv root)/versions/$v/bin/python3"
      if [ -x "$c" ]; then echo "$c"; return 0; fi
    done
  fi
  echo "error: Python 3.12 or newer is needed (set PYTHON=/path/to/python3.12)" >&2
  return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  PY="$(find_python)"
  echo "==> creating $VENV with $("$PY" --version)" >&2
  "$PY" -m venv "$VENV"
fi

# The lock (every package pinned, with hashes; pip itself is in it) and then this project, editable, so that
# `skill`, `triage`, `lambda_function` and `tools` import from this checkout in any directory. setuptools, the
# build backend, comes from the lock too: no build isolation and no index for that step.
# A venv holds one editable checkout: never repoint one that another checkout installed (a shared venv).
OTHER="$("$VENV/bin/python" - <<'PY' 2>/dev/null || true
import importlib.metadata as m, json
print(json.loads(m.distribution("back-numbness-helper").read_text("direct_url.json") or "{}").get("url", ""))
PY
)"
if [ -n "$OTHER" ] && [ "$OTHER" != "file://$ROOT" ]; then
  echo "error: $VENV has this project installed from $OTHER, not $ROOT: use another venv (VENV=$ROOT/.venv)" >&2
  exit 1
fi
STAMP="$VENV/.requirements.sha256"
WANT="$(cat "$ROOT/requirements-dev.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1) $ROOT"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "==> installing requirements-dev.txt (--require-hashes) and this project (editable) into $VENV" >&2
  # pip first, at the lock's version and hash: the pip a new venv comes with can be too old for the lock (before
  # pip 23.3, a package needed both with and without extras fails in hash mode).
  awk '/^pip==/{p=1; print; next} /^[A-Za-z0-9]/{p=0} p' "$ROOT/requirements-dev.txt" > "$VENV/.pip-lock.txt"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$VENV/.pip-lock.txt" \
    2>&1 | { grep -v '^WARNING: Location' || true; } >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r "$ROOT/requirements-dev.txt" \
    2>&1 | { grep -v '^WARNING: Location' || true; } >&2
  # (setuptools warns on every editable install that a folder named like a package may shadow it: noise here.)
  PYTHONWARNINGS="ignore:Editable installation" "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    --no-deps --no-build-isolation --no-index -e "$ROOT" 2>&1 | { grep -v '^WARNING: Location' || true; } >&2
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
