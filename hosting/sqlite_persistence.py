"""Embedded persistence for local runs (simulator, webservice): the same record semantics as the DynamoDB adapter
(``skill.persistence``) on stdlib sqlite3, behind the ASK SDK adapter interface.

One row per (owner, field): the owner is the recognised person's id, else the account's user id
(``person_or_user_partition_keygen``); the fields are ``rate``, ``last`` and ``interview.<device>`` (an unfinished
interview per device). Each row keeps its value (JSON, NULL once removed), its write stamp (epoch ms) and the
owner's expiry. A write is per field and newest wins: ``INSERT … ON CONFLICT DO UPDATE … WHERE excluded.stamp >
stamp``, so a late write never replaces a newer value and two devices never erase each other's interview.

The path is the constructor's ``path``, else env ``SKILL_DB_PATH``, else ``$XDG_DATA_HOME`` (or
``~/.local/share``) ``/back-numbness-helper/skill.sqlite3``; ``":memory:"`` keeps everything in the process (tests).

TTL: the expiry stamped by ``skill.persistence.ResilientPersistence`` (epoch seconds) applies to all of the owner's
rows and is handed back on load as ``ttl``; without one a row expires after ``DATA_TTL_DAYS`` (default 30).
Expired rows are never returned and are purged on open and on every write.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

_LAMBDA = str(Path(__file__).resolve().parents[1] / "lambda")
if _LAMBDA not in sys.path:
    sys.path.insert(0, _LAMBDA)  # `skill` lives in lambda/ (pytest adds it; python -m does not)

from skill.persistence import (  # noqa: E402
    ALL_INTERVIEWS,
    FIELDS,
    device_key,
    now_ms,
    person_or_user_partition_keygen,
    storage_name,
)

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

APP_DIR = "back-numbness-helper"
DB_NAME = "skill.sqlite3"
TTL_ATTRIBUTE = "ttl"
DEFAULT_TTL_DAYS = 30

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fields (
    owner   TEXT    NOT NULL,
    field   TEXT    NOT NULL,
    value   TEXT,
    stamp   INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (owner, field)
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


def owner_of(request_envelope: RequestEnvelope) -> str:
    """The record's owner: the recognised person, else the account (raises without either)."""
    return person_or_user_partition_keygen(request_envelope)


user_id_of = owner_of  # the old name


class SqlitePersistenceAdapter(AbstractPersistenceAdapter):
    """``AbstractPersistenceAdapter`` on one SQLite file with per-field, newest-wins writes."""

    def __init__(self, path: str | os.PathLike[str] | None = None, clock: Callable[[], float] = time.time) -> None:
        target = str(path) if path is not None else str(default_path())
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.path = target
        self.clock = clock
        self._lock = threading.Lock()  # the webservice may call from several threads
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=5)
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
        self._db.execute("DELETE FROM fields WHERE expires <= ?", (self._now(),))

    # -- the record interface (skill.persistence.FieldStore) --
    def read_record(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        owner = owner_of(request_envelope)
        names = {storage_name(f, device_key(request_envelope)): f for f in FIELDS}
        with self._lock:
            rows = self._db.execute(
                "SELECT field, value, expires FROM fields WHERE owner = ? AND expires > ? AND value IS NOT NULL",
                (owner, self._now()),
            ).fetchall()
        record: dict[str, Any] = {}
        for name, value, expires in rows:
            if name in names:
                record[names[name]] = json.loads(value)
                record[TTL_ATTRIBUTE] = expires
        return record

    def write_fields(
        self, request_envelope: RequestEnvelope, changes: Mapping[str, Any], stamp: int, ttl: int
    ) -> None:
        owner = owner_of(request_envelope)
        device = device_key(request_envelope)
        rows = [
            (owner, storage_name(f, device), None if v is None else _dumps(v), stamp, ttl)
            for f, v in changes.items() if f != ALL_INTERVIEWS
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._purge()
                self._db.executemany(
                    "INSERT INTO fields (owner, field, value, stamp, expires) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(owner, field) DO UPDATE SET value = excluded.value, stamp = excluded.stamp "
                    "WHERE excluded.stamp > fields.stamp",
                    rows,
                )
                if ALL_INTERVIEWS in changes:  # every device's interview, newest wins
                    self._db.execute(
                        "UPDATE fields SET value = NULL, stamp = ? WHERE owner = ? AND field LIKE 'interview.%' "
                        "AND stamp < ?",
                        (stamp, owner, stamp),
                    )
                self._db.execute("UPDATE fields SET expires = ? WHERE owner = ?", (ttl, owner))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- the ASK SDK interface --
    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return self.read_record(request_envelope)

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Mapping[str, Any]) -> None:
        """The known fields present in ``attributes``, per field and newest wins (never a whole-record
        overwrite); ``ttl`` (epoch seconds) if given, else ``DATA_TTL_DAYS`` from now."""
        ttl = attributes.get(TTL_ATTRIBUTE)
        expires = int(ttl) if isinstance(ttl, int | float | Decimal) else self._now() + _ttl_days() * 86_400
        self.write_fields(request_envelope, {f: attributes[f] for f in FIELDS if f in attributes}, now_ms(), expires)

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        owner = owner_of(request_envelope)
        with self._lock:
            self._db.execute("DELETE FROM fields WHERE owner = ?", (owner,))

    def count(self) -> int:
        """Owners with rows stored, expired or not (for tests and diagnostics)."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(DISTINCT owner) FROM fields").fetchone()[0])


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"), sort_keys=True)

