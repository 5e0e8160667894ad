"""DynamoDbAdapter through the factory, against moto: round trip, TTL, Decimal, delete, configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from skill.persistence import ResilientPersistence, adapter_from_env, from_decimal, persistence_from_env
from tests.persistence.helpers import NOW, TABLE, USER_A, USER_B, envelope

ROOT = Path(__file__).resolve().parents[2]
STATE = {
    "interview": {"v": 1, "kb": "2026-11-24.1", "events": [["a", "bladder_bowel", "no"]], "carried": [],
                  "count": 3, "ratio": 0.75},
    "rate": "slow",
    "last": {"disposition": "routine", "categories": ["nerve_compression"], "date": "2026-11-24"},
}
DEVICE = "-"  # the test envelope has no device: its interview is stored under "interview.-"


def store(resource: Any, days: int | None = None) -> ResilientPersistence:
    adapter = adapter_from_env(dynamodb_resource=resource)
    assert adapter is not None
    return ResilientPersistence(adapter, ttl_days=days, clock=lambda: NOW)


def raw_item(resource: Any, user_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = resource.Table(TABLE).get_item(Key={"id": user_id}).get("Item")
    return item


def test_factory_builds_the_sdk_adapter_keyed_by_person_or_user(dynamodb: Any) -> None:
    adapter = adapter_from_env(dynamodb_resource=dynamodb)
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter  # needs the region the fixture set

    assert isinstance(adapter, DynamoDbAdapter)
    assert adapter.table_name == TABLE
    assert adapter.partition_keygen(envelope(USER_B)) == USER_B
    assert adapter.create_table is False


def test_round_trip_gives_plain_json_back(dynamodb: Any) -> None:
    s = store(dynamodb)
    s.save_attributes(envelope(), STATE)
    loaded = s.get_attributes(envelope())
    assert loaded == STATE
    assert type(loaded["interview"]["count"]) is int and type(loaded["interview"]["ratio"]) is float
    json.dumps(loaded)  # no Decimal left anywhere


def test_ttl_is_a_top_level_epoch_number_default_30_days(dynamodb: Any) -> None:
    store(dynamodb).save_attributes(envelope(), STATE)
    item = raw_item(dynamodb, USER_A)
    assert item is not None
    assert item["ttl"] == int(NOW) + 30 * 86_400  # where DynamoDB's TTL looks: not inside "attributes"
    assert item["v.interview.-"]["count"] == Decimal(3)
    assert set(item) == {"id", "ttl", "v.rate", "t.rate", "v.last", "t.last", "v.interview.-", "t.interview.-"}


def test_ttl_days_from_environment(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_TTL_DAYS", "7")
    store(dynamodb).save_attributes(envelope(), STATE)
    item = raw_item(dynamodb, USER_A)
    assert item is not None and item["ttl"] == int(NOW) + 7 * 86_400


@pytest.mark.parametrize("raw", ["", "zero", "0", "-3"])
def test_bad_ttl_setting_falls_back_to_30(dynamodb: Any, monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("DATA_TTL_DAYS", raw)
    assert store(dynamodb).ttl_days == 30


def test_expired_but_unswept_item_is_not_returned(dynamodb: Any) -> None:
    dynamodb.Table(TABLE).put_item(Item={"id": USER_A, "v.rate": "slow", "t.rate": 1, "ttl": int(NOW) - 1})
    assert store(dynamodb).get_attributes(envelope()) == {}


def test_users_are_isolated_and_delete_removes_only_one(dynamodb: Any) -> None:
    s = store(dynamodb)
    s.save_attributes(envelope(USER_A), {"rate": "slow"})
    s.save_attributes(envelope(USER_B), {"rate": "fast"})
    assert s.get_attributes(envelope(USER_B)) == {"rate": "fast"}
    assert s.get_attributes(envelope(USER_A)) == {"rate": "slow"}
    s.delete_attributes(envelope(USER_A))
    assert raw_item(dynamodb, USER_A) is None
    assert s.get_attributes(envelope(USER_A)) == {}
    assert s.get_attributes(envelope(USER_B)) == {"rate": "fast"}


def test_stored_numbers_come_back_as_plain_json(dynamodb: Any) -> None:
    dynamodb.Table(TABLE).put_item(Item={"id": USER_A, "v.last": {"n": Decimal("2"), "x": Decimal("1.5")},
                                         "t.last": Decimal(1)})
    assert store(dynamodb).get_attributes(envelope()) == {"last": {"n": 2, "x": 1.5}}


def test_from_decimal_is_recursive() -> None:
    value = {"a": [Decimal("1"), {"b": Decimal("2.5")}], "c": "text", "d": None, "e": True}
    assert from_decimal(value) == {"a": [1, {"b": 2.5}], "c": "text", "d": None, "e": True}
    assert type(from_decimal(Decimal("10"))) is int


def test_no_table_means_no_adapter(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME")
    assert adapter_from_env() is None
    assert persistence_from_env() is None
    monkeypatch.setenv("TABLE_NAME", "  ")
    assert adapter_from_env() is None


def test_table_without_region_is_a_clear_error(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ValueError, match="AWS_REGION"):
        adapter_from_env()


def test_own_resource_gets_region_from_aws_region(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only AWS_REGION set (botocore itself ignores it): the factory still builds a resource in that region."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    wrapped = persistence_from_env()
    assert wrapped is not None
    client = wrapped.adapter.dynamodb.meta.client
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.connect_timeout <= 1 and client.meta.config.read_timeout <= 2


def _modules_after(code: str, env: dict[str, str]) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT / "lambda", env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_boto3_is_not_imported_without_a_table() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "lambda")}
    mods = _modules_after("import skill.persistence as p\nassert p.adapter_from_env() is None", env)
    assert "boto3" not in mods and "ask_sdk_dynamodb.adapter" not in mods
    mods = _modules_after("import lambda_function", env)
    assert "boto3" not in mods, "the Lambda cold start imports boto3 although TABLE_NAME is unset"
