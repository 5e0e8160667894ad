"""Fault injection: throttling, unreachable endpoint, any error. Loads give {}, saves never raise, and the
logs carry an error code only (no attribute values, no user id)."""

from __future__ import annotations

import logging
from typing import Any

import boto3
import pytest
from ask_sdk_core.exceptions import PersistenceException
from botocore.stub import Stubber

from skill.persistence import ResilientPersistence, adapter_from_env
from tests.persistence.helpers import NOW, USER_A, envelope

SECRET_VALUE = "radiates_legs_feet_SECRET"
STATE = {"interview": {"events": [["v", SECRET_VALUE]]}, "rate": "slow"}


def resilient(resource: Any) -> ResilientPersistence:
    adapter = adapter_from_env(dynamodb_resource=resource)
    assert adapter is not None
    return ResilientPersistence(adapter, clock=lambda: NOW)


def assert_logged_code_only(caplog: pytest.LogCaptureFixture, expected: str) -> None:
    records = [r for r in caplog.records if r.name == "skill.persistence"]
    assert [r.levelno for r in records] == [logging.ERROR]
    text = records[0].getMessage()
    assert text.endswith(f"code={expected}")
    everything = " ".join(r.getMessage() + repr(r.args) + repr(r.exc_info) for r in caplog.records)
    assert USER_A not in everything and SECRET_VALUE not in everything and "slow" not in everything
    assert records[0].exc_info is None  # a traceback could carry request details


@pytest.fixture
def stubbed(aws_env: None) -> Any:
    resource = boto3.resource("dynamodb", region_name="us-east-1")
    with Stubber(resource.meta.client) as stub:
        yield resource, stub


def test_throttled_get_returns_empty(stubbed: Any, caplog: pytest.LogCaptureFixture) -> None:
    resource, stub = stubbed
    stub.add_client_error("get_item", service_error_code="ProvisionedThroughputExceededException",
                          service_message=f"throttled for {USER_A}", http_status_code=400)
    assert resilient(resource).get_attributes(envelope()) == {}
    assert_logged_code_only(caplog, "ProvisionedThroughputExceededException")
    stub.assert_no_pending_responses()


def test_throttled_save_does_not_raise(stubbed: Any, caplog: pytest.LogCaptureFixture) -> None:
    resource, stub = stubbed
    stub.add_client_error("update_item", service_error_code="ThrottlingException",
                          service_message=f"value {SECRET_VALUE}", http_status_code=400)
    resilient(resource).save_attributes(envelope(), STATE)
    assert_logged_code_only(caplog, "ThrottlingException")
    stub.assert_no_pending_responses()


def test_save_does_not_mutate_the_callers_attributes(stubbed: Any) -> None:
    resource, stub = stubbed
    stub.add_client_error("update_item", service_error_code="InternalServerError", http_status_code=500)
    attrs = {"rate": "slow"}
    resilient(resource).save_attributes(envelope(), attrs)
    assert attrs == {"rate": "slow"}


def test_failed_delete_raises_so_forget_me_cannot_lie(stubbed: Any, caplog: pytest.LogCaptureFixture) -> None:
    resource, stub = stubbed
    stub.add_client_error("delete_item", service_error_code="ResourceNotFoundException", http_status_code=400)
    with pytest.raises(PersistenceException, match="ResourceNotFoundException") as info:
        resilient(resource).delete_attributes(envelope())
    assert USER_A not in str(info.value)
    assert_logged_code_only(caplog, "ResourceNotFoundException")


def test_unreachable_endpoint(aws_env: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A closed loopback port: connection refused, fast, through the factory's own resource and retries."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    adapter = adapter_from_env()
    assert adapter is not None
    s = ResilientPersistence(adapter, clock=lambda: NOW)
    assert s.get_attributes(envelope()) == {}
    assert_logged_code_only(caplog, "EndpointConnectionError")
    caplog.clear()
    s.save_attributes(envelope(), STATE)
    assert_logged_code_only(caplog, "EndpointConnectionError")


class Exploding:
    """Any adapter whose every call fails with a message full of personal data."""

    def get_attributes(self, request_envelope: Any) -> Any:
        raise RuntimeError(f"boom {USER_A} {SECRET_VALUE}")

    save_attributes = delete_attributes = lambda self, **kw: (_ for _ in ()).throw(
        RuntimeError(f"boom {USER_A} {SECRET_VALUE}")
    )


def test_any_error_of_any_adapter(caplog: pytest.LogCaptureFixture) -> None:
    s = ResilientPersistence(Exploding(), clock=lambda: NOW)  # type: ignore[arg-type]
    assert s.get_attributes(request_envelope=envelope()) == {}
    assert_logged_code_only(caplog, "RuntimeError")
    caplog.clear()
    s.save_attributes(request_envelope=envelope(), attributes=STATE)
    assert_logged_code_only(caplog, "RuntimeError")


def test_non_dict_load_is_treated_as_empty() -> None:
    class Weird:
        def get_attributes(self, request_envelope: Any) -> Any:
            return ["not", "a", "dict"]

    assert ResilientPersistence(Weird()).get_attributes(envelope()) == {}  # type: ignore[arg-type]
