"""Embedded persistence for local runs (simulator, webservice): the ASK SDK adapter interface on stdlib sqlite3.

One row per Alexa user id, attributes as JSON, an ``expires`` epoch column. The path is the constructor's
``path``, else env ``SKILL_DB_PATH``, else ``$XDG_DATA_HOME`` (or ``~/.local/share``)
``/back-numbness-helper/skill.sqlite3``; ``":memory:"`` keeps everything in the process (tests).

TTL: the attribute ``ttl`` (epoch seconds, as ``skill.persistence.ResilientPersistence`` stamps it) becomes the
row's expiry and is handed back on load; without it a row expires after ``DATA_TTL_DAYS`` (default 30).
Expired rows are never returned and are purged on open and on every save.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

APP_DIR = "back-numbness-helper"
DB_NAME = "skill.sqlite3"
TTL_ATTRIBUTE = "ttl"
DEFAULT_TTL_DAYS = 30

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attributes (
    user_id TEXT PRIMARY KEY,
    body    TEXT NOT NULL,
    expires INTEGER NOT NULL
)
"""


def default_path() -> Path:
    """``$SKILL_DB_PATH``, else the user's data dir (XDG) / back-numbness-helper / skill.sqlite3."""
    override = os.environ.get("SKILL_DB_PATH")
    if override:
        return Path(override).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / APP_DIR / DB_NAME


def _ttl_days() -> int:
    try:
        days = int(os.environ.get("DATA_TTL_DAYS", ""))
    except ValueError:
        return DEFAULT_TTL_DAYS
    return days if days > 0 else DEFAULT_TTL_DAYS


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def user_id_of(request_envelope: RequestEnvelope) -> str:
    system = request_envelope.context.system if request_envelope.context else None
    user_id = system.user.user_id if system and system.user else None
    if not isinstance(user_id, str) or not user_id:
        raise PersistenceException("no user id in the request envelope")
    return user_id


class SqlitePersistenceAdapter(AbstractPersistenceAdapter):
    """``AbstractPersistenceAdapter`` on one SQLite file, keyed per Alexa user id."""

    def __init__(self, path: str | os.PathLike[str] | None = None, clock: Callable[[], float] = time.time) -> None:
        target = str(path) if path is not None else str(default_path())
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.path = target
        self.clock = clock
        self._lock = threading.Lock()  # the webservice may call from several threads
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL" if target != ":memory:" else "PRAGMA journal_mode=MEMORY")
            self._db.execute(_SCHEMA)
            self._purge()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _now(self) -> int:
        return int(self.clock())

    def _purge(self) -> None:
        self._db.execute("DELETE FROM attributes WHERE expires <= ?", (self._now(),))

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        user_id = user_id_of(request_envelope)
        with self._lock:
            row = self._db.execute(
                "SELECT body, expires FROM attributes WHERE user_id = ? AND expires > ?", (user_id, self._now())
            ).fetchone()
        if row is None:
            return {}
        attributes: dict[str, Any] = json.loads(row[0])
        attributes[TTL_ATTRIBUTE] = row[1]
        return attributes

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Mapping[str, Any]) -> None:
        user_id = user_id_of(request_envelope)
        body = {k: v for k, v in attributes.items() if k != TTL_ATTRIBUTE}
        ttl = attributes.get(TTL_ATTRIBUTE)
        expires = int(ttl) if isinstance(ttl, int | float | Decimal) else self._now() + _ttl_days() * 86_400
        text = json.dumps(body, default=_json_default, separators=(",", ":"), sort_keys=True)
        with self._lock:
            self._purge()
            self._db.execute(
                "INSERT INTO attributes (user_id, body, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET body = excluded.body, expires = excluded.expires",
                (user_id, text, expires),
            )

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        user_id = user_id_of(request_envelope)
        with self._lock:
            self._db.execute("DELETE FROM attributes WHERE user_id = ?", (user_id,))

    def count(self) -> int:
        """Rows stored, expired or not (for tests and diagnostics)."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM attributes").fetchone()[0])
