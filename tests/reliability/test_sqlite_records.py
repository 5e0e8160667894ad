"""The same record semantics in the embedded SQLite store (simulator, webservice): per-field newest-wins writes,
tombstones, an interview per device, records per recognised person — at the adapter and through the skill."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.alexa_client import Speaker
from hosting.sqlite_persistence import SqlitePersistenceAdapter
from skill import build_skill, invoke
from tests.persistence.helpers import envelope
from tests.reliability.conftest import ACCOUNT, ALICE, BEDROOM, BOB, KITCHEN
from tests.reliability.test_records import RESUME, answered, asks, remember

TTL = 4_000_000_000


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqlitePersistenceAdapter]:
    adapter = SqlitePersistenceAdapter(tmp_path / "skill.sqlite3")
    yield adapter
    adapter.close()


def test_an_older_write_never_replaces_a_newer_one(db: SqlitePersistenceAdapter) -> None:
    env = envelope()
    db.write_fields(env, {"rate": "slower", "last": {"disposition": "routine"}}, stamp=200, ttl=TTL)
    db.write_fields(env, {"rate": "faster", "last": {"disposition": "emergency"}}, stamp=100, ttl=TTL)  # late
    assert db.read_record(env)["rate"] == "slower"
    assert db.read_record(env)["last"] == {"disposition": "routine"}
    db.write_fields(env, {"rate": "faster"}, stamp=300, ttl=TTL)
    record = db.read_record(env)
    assert record["rate"] == "faster" and record["last"] == {"disposition": "routine"}  # per field


def test_a_removal_keeps_its_stamp_so_a_late_write_cannot_bring_the_value_back(db: SqlitePersistenceAdapter) -> None:
    env = envelope()
    db.write_fields(env, {"interview": {"events": [1]}}, stamp=100, ttl=TTL)
    db.write_fields(env, {"interview": None}, stamp=300, ttl=TTL)
    db.write_fields(env, {"interview": {"events": [1, 2]}}, stamp=200, ttl=TTL)  # applied late
    assert "interview" not in db.read_record(env)


def _skill_speakers(db: SqlitePersistenceAdapter) -> Any:
    skill = build_skill(persistence_adapter=db)

    def speaker(device: str, person: str | None = None) -> Speaker:
        return Speaker(lambda event: invoke(skill, event), ACCOUNT, device, person)

    return speaker


def test_two_devices_keep_their_own_interviews(db: SqlitePersistenceAdapter) -> None:
    speaker = _skill_speakers(db)
    kitchen, bedroom = speaker(KITCHEN), speaker(BEDROOM)
    kitchen.launch()
    bedroom.launch()
    remember(kitchen)
    remember(bedroom)
    kitchen.no()
    bedroom.no()
    bedroom.no()
    kitchen.end()
    bedroom.end()
    kitchen.launch()
    assert asks(kitchen.yes(), 1)
    bedroom.launch()
    assert asks(bedroom.yes(), 2)


def test_people_on_one_account_have_their_own_records_and_delete_only_their_own(db: SqlitePersistenceAdapter) -> None:
    speaker = _skill_speakers(db)
    alice, bob, guest = speaker(KITCHEN, ALICE), speaker(KITCHEN, BOB), speaker(KITCHEN)
    answered(alice, 2)
    alice.end()
    for other in (bob, guest):
        assert RESUME not in other.launch()
        assert "emergency" not in other.intent("LastResultIntent").lower()
        other.end()
    answered(guest, 1)
    guest.end()
    guest.launch()
    guest.intent("DeleteDataIntent")
    assert "deleted" in guest.yes()
    alice.launch()
    assert asks(alice.yes(), 2)
    assert db.count() == 1  # Alice's only: the guest's account record is gone, Bob never kept anything


def test_removing_every_devices_interview_keeps_newer_ones(db: SqlitePersistenceAdapter) -> None:
    from ask_sdk_model.device import Device

    from skill.persistence import ALL_INTERVIEWS

    kitchen, bedroom = envelope(), envelope()
    kitchen.context.system.device = Device(device_id="amzn1.ask.device.K", supported_interfaces={})
    bedroom.context.system.device = Device(device_id="amzn1.ask.device.B", supported_interfaces={})
    db.write_fields(kitchen, {"interview": {"events": [1]}}, stamp=100, ttl=TTL)
    db.write_fields(bedroom, {"interview": {"events": [2]}}, stamp=300, ttl=TTL)
    db.write_fields(kitchen, {"consent": False, "last": None, ALL_INTERVIEWS: None}, stamp=200, ttl=TTL)
    assert "interview" not in db.read_record(kitchen)
    assert db.read_record(bedroom)["interview"] == {"events": [2]}  # written after the withdrawal: newest wins
    assert db.read_record(kitchen)["consent"] is False
