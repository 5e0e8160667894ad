"""The embedded SQLite adapter: round trip, per-owner isolation, per-field saves, TTL expiry and purge, file
location."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ask_sdk_core.exceptions import PersistenceException

from hosting.sqlite_persistence import SqlitePersistenceAdapter, default_path
from skill.persistence import ResilientPersistence
from tests.persistence.helpers import NOW, USER_A, USER_B, envelope

STATE = {"interview": {"v": 1, "events": [["a", "bladder_bowel", "no"]], "n": 2, "x": 0.5}, "rate": "slow"}


@pytest.fixture
def opened() -> Iterator[list[SqlitePersistenceAdapter]]:
    """Adapters appended here are closed after the test (sqlite3 warns about unclosed connections)."""
    adapters: list[SqlitePersistenceAdapter] = []
    yield adapters
    for a in adapters:
        a.close()


def track(opened: list[SqlitePersistenceAdapter], adapter: SqlitePersistenceAdapter) -> SqlitePersistenceAdapter:
    opened.append(adapter)
    return adapter


class Clock:
    def __init__(self, t: float = NOW) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_round_trip_and_isolation(opened: list[SqlitePersistenceAdapter]) -> None:
    db = track(opened, SqlitePersistenceAdapter(":memory:", clock=Clock()))
    db.save_attributes(envelope(USER_A), STATE)
    db.save_attributes(envelope(USER_B), {"rate": "fast"})
    got = db.get_attributes(envelope(USER_A))
    assert {k: v for k, v in got.items() if k != "ttl"} == STATE
    assert db.get_attributes(envelope(USER_B))["rate"] == "fast"
    db.save_attributes(envelope(USER_A), {"rate": "normal"})  # per field: the interview stays
    assert db.get_attributes(envelope(USER_A))["interview"] == STATE["interview"]
    assert db.get_attributes(envelope(USER_A))["rate"] == "normal"
    db.delete_attributes(envelope(USER_A))
    assert db.get_attributes(envelope(USER_A)) == {}
    assert db.get_attributes(envelope(USER_B))["rate"] == "fast"


def test_ttl_from_the_wrapper_is_the_expiry_and_expired_rows_vanish(opened: list[SqlitePersistenceAdapter]) -> None:
    clock = Clock()
    db = track(opened, SqlitePersistenceAdapter(":memory:", clock=clock))
    store = ResilientPersistence(db, ttl_days=2, clock=clock)
    store.save_attributes(envelope(USER_A), STATE)
    assert store.get_attributes(envelope(USER_A)) == STATE  # the wrapper strips ttl again
    assert db.get_attributes(envelope(USER_A))["ttl"] == int(NOW) + 2 * 86_400
    clock.t = NOW + 2 * 86_400 - 1
    assert store.get_attributes(envelope(USER_A)) == STATE
    clock.t = NOW + 2 * 86_400
    assert store.get_attributes(envelope(USER_A)) == {}
    assert db.count() == 1  # not yet swept...
    store.save_attributes(envelope(USER_B), {"rate": "fast"})
    assert db.count() == 1  # ...purged on the next save: only B's rows are left


def test_default_ttl_without_wrapper(monkeypatch: pytest.MonkeyPatch, opened: list[SqlitePersistenceAdapter]) -> None:
    monkeypatch.setenv("DATA_TTL_DAYS", "3")
    db = track(opened, SqlitePersistenceAdapter(":memory:", clock=Clock()))
    db.save_attributes(envelope(USER_A), {"rate": "slow"})
    assert db.get_attributes(envelope(USER_A))["ttl"] == int(NOW) + 3 * 86_400


def test_file_survives_reopen_and_expired_rows_are_purged_on_open(
    tmp_path: Path, opened: list[SqlitePersistenceAdapter]
) -> None:
    path = tmp_path / "nested" / "skill.sqlite3"
    clock = Clock()
    first = track(opened, SqlitePersistenceAdapter(path, clock=clock))
    first.save_attributes(envelope(USER_A), {"rate": "slow", "ttl": NOW + 10})
    first.save_attributes(envelope(USER_B), {"rate": "fast", "ttl": NOW + 1000})
    first.close()
    opened.remove(first)
    clock.t = NOW + 100
    second = track(opened, SqlitePersistenceAdapter(path, clock=clock))
    assert second.count() == 1
    assert second.get_attributes(envelope(USER_B))["rate"] == "fast"


def test_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, opened: list[SqlitePersistenceAdapter]) -> None:
    monkeypatch.delenv("SKILL_DB_PATH", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "back-numbness-helper" / "skill.sqlite3"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "share" / "back-numbness-helper" / "skill.sqlite3"
    monkeypatch.setenv("SKILL_DB_PATH", str(tmp_path / "custom.db"))
    db = track(opened, SqlitePersistenceAdapter(clock=Clock()))
    db.save_attributes(envelope(USER_A), {"rate": "slow"})
    assert (tmp_path / "custom.db").is_file()


def test_envelope_without_user_is_refused(opened: list[SqlitePersistenceAdapter]) -> None:
    env = envelope(USER_A)
    env.context.system.user = None
    db = track(opened, SqlitePersistenceAdapter(":memory:"))
    with pytest.raises(PersistenceException):
        db.get_attributes(env)
