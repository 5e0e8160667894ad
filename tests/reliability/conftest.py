"""A moto DynamoDB server on 127.0.0.1 behind the fault proxy (benchmarks/faultproxy.py), and the real
``lambda_function`` loaded against it (TABLE_NAME and AWS_ENDPOINT_URL_DYNAMODB set, as a deployment would)."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from benchmarks.alexa_client import Speaker, lambda_transport
from benchmarks.faultproxy import FaultProxy, create_table, moto_port, moto_server

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "amzn1.ask.account.RELIABILITY-HOUSEHOLD-0001"
KITCHEN = "amzn1.ask.device.RELIABILITY-KITCHEN-0001"
BEDROOM = "amzn1.ask.device.RELIABILITY-BEDROOM-0002"
ALICE = "amzn1.ask.person.RELIABILITY-ALICE-0001"
BOB = "amzn1.ask.person.RELIABILITY-BOB-0002"


@pytest.fixture(scope="session")
def moto() -> Iterator[int]:
    server = moto_server()
    try:
        yield moto_port(server)
    finally:
        server.stop()


@dataclass
class Cloud:
    proxy: FaultProxy
    table: Any
    handler: Any

    def speaker(self, device: str = KITCHEN, person: str | None = None, user: str = ACCOUNT,
                budget_ms: int = 7000) -> Speaker:
        return Speaker(lambda_transport(self.handler, budget_ms), user, device, person)

    def item(self, key: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.table.get_item(Key={"id": key}, ConsistentRead=True).get("Item")
        return found


@pytest.fixture
def cloud(moto: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    table_name = f"skill-{uuid.uuid4().hex[:8]}"
    direct = f"http://127.0.0.1:{moto}"
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION", "DATA_TTL_DAYS", "SKILL_ID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": table_name}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    create_table(direct, table_name)
    proxy = FaultProxy(moto, stall_s=3.0, trickle_s=0.4, late_s=2.5).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.url)
    spec = importlib.util.spec_from_file_location(f"lambda_function_{table_name}",
                                                  ROOT / "lambda" / "lambda_function.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # builds its skill from the environment, as in Lambda
    resource = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=direct)
    try:
        yield Cloud(proxy, resource.Table(table_name), module.lambda_handler)
    finally:
        proxy.wait_late_writes(10)
        proxy.stop()
