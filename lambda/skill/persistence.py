"""Persistent attributes: DynamoDB in Lambda (when ``TABLE_NAME`` is set), wrapped so a storage fault never
breaks a conversation.

- ``adapter_from_env()`` builds the ASK SDK's ``DynamoDbAdapter`` keyed by the Alexa user id, with our own
  boto3 resource (region from the environment, short timeouts). boto3 and ``ask_sdk_dynamodb`` are imported
  only then: without a table neither is loaded, which keeps cold start small.
- ``ResilientPersistence`` wraps any ``AbstractPersistenceAdapter``: loads return ``{}`` and saves are dropped on
  any error (the skill saves every turn, so the next turn retries); only an error code is logged, never the
  attributes or the user id. It stamps a ``ttl`` (epoch seconds) on every save and turns DynamoDB's
  ``Decimal`` numbers back into ``int``/``float`` on load. A failed delete is logged and raised, so "forget me"
  never confirms a deletion that did not happen.

The key ``ttl`` is reserved in the attribute dict: adapters store it as the record's expiry (a top-level item
attribute in DynamoDB, which is what DynamoDB's TTL deletes on) and hand it back on load.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(__name__)

TTL_ATTRIBUTE = "ttl"
DEFAULT_TTL_DAYS = 30
PARTITION_KEY = "id"
ATTRIBUTES_NAME = "attributes"
# Alexa gives a skill 8 s per response and the function times out at 7 s: a stuck DynamoDB call must fail fast
# (then the turn goes on from session attributes) instead of eating the budget. DynamoDB answers in ~10 ms.
_CONNECT_TIMEOUT_S = 0.5
_READ_TIMEOUT_S = 1.0
_MAX_ATTEMPTS = 2


def ttl_days_from_env() -> int:
    """``DATA_TTL_DAYS`` (default 30); a malformed or non-positive value falls back to the default."""
    raw = os.environ.get("DATA_TTL_DAYS", "")
    try:
        days = int(raw)
    except ValueError:
        return DEFAULT_TTL_DAYS
    return days if days > 0 else DEFAULT_TTL_DAYS


def region_from_env() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def adapter_from_env(dynamodb_resource: Any = None) -> AbstractPersistenceAdapter | None:
    """The DynamoDB adapter for ``TABLE_NAME``, or None when it is unset (no DynamoDB at all).

    ``dynamodb_resource`` is for tests; by default a resource is built for the region in ``AWS_REGION`` /
    ``AWS_DEFAULT_REGION``. Raises ValueError when a table is configured but no region is.
    """
    table_name = os.environ.get("TABLE_NAME", "").strip()
    if not table_name:
        return None
    quiet_aws_sdk_logs()
    region = region_from_env()
    if region is None:
        raise ValueError("TABLE_NAME is set but neither AWS_REGION nor AWS_DEFAULT_REGION is")
    if dynamodb_resource is None:
        dynamodb_resource = _dynamodb_resource(region)
    # botocore reads only AWS_DEFAULT_REGION (Lambda sets both), and the SDK's import needs it: see below.
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    adapter_class = _ttl_dynamodb_adapter_class()
    from ask_sdk_dynamodb.partition_keygen import user_id_partition_keygen

    adapter: AbstractPersistenceAdapter = adapter_class(
        table_name=table_name,
        partition_key_name=PARTITION_KEY,
        attribute_name=ATTRIBUTES_NAME,
        create_table=False,
        partition_keygen=user_id_partition_keygen,
        dynamodb_resource=dynamodb_resource,
    )
    return adapter


def quiet_aws_sdk_logs() -> None:
    """boto3/botocore log every call's parameters at DEBUG, and those hold the partition key (the Alexa user id)
    and stored codes. Keep them at WARNING or above even when someone turns the root logger to DEBUG."""
    for name in ("boto3", "botocore", "urllib3", "s3transfer"):
        library = logging.getLogger(name)
        if library.getEffectiveLevel() < logging.WARNING:
            library.setLevel(logging.WARNING)


def _dynamodb_resource(region: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=_CONNECT_TIMEOUT_S,
        read_timeout=_READ_TIMEOUT_S,
        retries={"total_max_attempts": _MAX_ATTEMPTS, "mode": "standard"},
    )
    return boto3.resource("dynamodb", region_name=region, config=config)


@cache
def _ttl_dynamodb_adapter_class() -> Any:
    """``DynamoDbAdapter`` that keeps ``ttl`` as a top-level item attribute (where DynamoDB's TTL looks).

    Defined lazily: importing ``ask_sdk_dynamodb.adapter`` evaluates ``boto3.resource("dynamodb")`` as a default
    argument, which fails without a region and costs cold-start time when no table is used.
    """
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    class TtlDynamoDbAdapter(DynamoDbAdapter):
        def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
            table = self.dynamodb.Table(self.table_name)
            key = self.partition_keygen(request_envelope)
            try:
                item = table.get_item(Key={self.partition_key_name: key}, ConsistentRead=True).get("Item")
            except Exception as e:
                raise _persistence_error("get", e) from e
            if not item:
                return {}
            attributes = dict(item.get(self.attribute_name) or {})
            if TTL_ATTRIBUTE in item:
                attributes[TTL_ATTRIBUTE] = item[TTL_ATTRIBUTE]
            return attributes

        def save_attributes(self, request_envelope: RequestEnvelope, attributes: Mapping[str, Any]) -> None:
            body = {k: _to_dynamodb(v) for k, v in attributes.items() if k != TTL_ATTRIBUTE}
            item: dict[str, Any] = {
                self.partition_key_name: self.partition_keygen(request_envelope),
                self.attribute_name: body,
            }
            if TTL_ATTRIBUTE in attributes:
                item[TTL_ATTRIBUTE] = int(attributes[TTL_ATTRIBUTE])
            try:
                self.dynamodb.Table(self.table_name).put_item(Item=item)
            except Exception as e:
                raise _persistence_error("save", e) from e

    return TtlDynamoDbAdapter


def _persistence_error(what: str, cause: BaseException) -> Exception:
    from ask_sdk_core.exceptions import PersistenceException

    return PersistenceException(f"DynamoDB {what} failed: {error_code(cause)}")


def _to_dynamodb(value: Any) -> Any:
    """boto3 refuses floats: store them as Decimal (via str, so 1.1 stays 1.1)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamodb(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamodb(v) for v in value]
    return value


def from_decimal(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal (which JSON cannot serialise): integral ones become int."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: from_decimal(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [from_decimal(v) for v in value]
    return value


def error_code(exc: BaseException) -> str:
    """A log-safe code for an exception, never its message (which can carry key values or request details).

    Along the cause/context chain: an AWS error code if any (``ThrottlingException``), else the first botocore
    exception (``EndpointConnectionError``), else the first exception that is not the SDK's wrapper.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not c for c in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for e in chain:
        response = getattr(e, "response", None)
        if isinstance(response, Mapping):
            code = response.get("Error", {}).get("Code")
            if isinstance(code, str) and code.isidentifier():
                return code
    for e in chain:
        if type(e).__module__.startswith("botocore"):
            return type(e).__name__
    for e in chain:
        if type(e).__name__ != "PersistenceException":
            return type(e).__name__
    return type(exc).__name__


class ResilientPersistence(AbstractPersistenceAdapter):
    """Never lets storage break a turn: see the module docstring."""

    def __init__(
        self,
        adapter: AbstractPersistenceAdapter,
        ttl_days: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.adapter = adapter
        self.ttl_days = ttl_days if ttl_days is not None else ttl_days_from_env()
        self.clock = clock

    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        try:
            loaded = self.adapter.get_attributes(request_envelope=request_envelope)
        except Exception as e:
            log.error("persistence.get_failed code=%s", error_code(e))
            return {}
        if not isinstance(loaded, Mapping):
            return {}
        attributes = dict(from_decimal(loaded))
        expires = attributes.pop(TTL_ATTRIBUTE, None)
        if isinstance(expires, int | float) and expires <= self.clock():
            return {}  # expired but not yet swept by the store
        return attributes

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Mapping[str, Any]) -> None:
        stamped = dict(attributes)
        stamped[TTL_ATTRIBUTE] = self.expiry()
        try:
            self.adapter.save_attributes(request_envelope=request_envelope, attributes=stamped)
        except Exception as e:
            log.error("persistence.save_failed code=%s", error_code(e))

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Unlike get/save, a failed delete raises (PersistenceException carrying only the code): "forget me"
        must not confirm a deletion that did not happen."""
        try:
            self.adapter.delete_attributes(request_envelope=request_envelope)
        except Exception as e:
            code = error_code(e)
            log.error("persistence.delete_failed code=%s", code)
            from ask_sdk_core.exceptions import PersistenceException

            raise PersistenceException(f"delete failed: {code}") from None

    def expiry(self) -> int:
        return int(self.clock()) + self.ttl_days * 86_400


def persistence_from_env() -> ResilientPersistence | None:
    """What Lambda should pass to ``build_skill``: the DynamoDB adapter wrapped resiliently, or None."""
    adapter = adapter_from_env()
    return ResilientPersistence(adapter) if adapter is not None else None
