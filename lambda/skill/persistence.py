"""Persistent records: DynamoDB in Lambda (when ``TABLE_NAME`` is set), wrapped so a storage fault never breaks a
conversation, never erases a newer record, and never holds a turn past its deadline.

Whose record. The key is the recognised person (``context.System.person.personId``) when Alexa recognises the
speaker, else the account (``context.System.user.userId``): ``person_or_user_partition_keygen``. Another person,
or an unrecognised speaker, reads and writes another key and never sees that record.

What a record holds: three fields, each with its own write stamp (epoch milliseconds):

    rate                     speech rate ("slower" | "faster")
    consent                  the answer to "shall I remember you?" (True | False)
    last                     last result: {"disposition", "categories", "date"} (only with consent)
    interview.<device>       the unfinished interview started on that device (a hash of its device id; only with
                             consent)

Merge rules (the same in DynamoDB and SQLite): every write is **per field** and **newest wins** — a field is
written only if the stored stamp is older than the write's (a DynamoDB ``ConditionExpression``; an upsert with a
``WHERE`` in SQLite). So a write applied late (a timed-out call that the store carried out after all) can never
replace a newer value; a failed read is never followed by a whole-record overwrite (only the fields this session
changed are written); two devices on one account keep separate unfinished interviews, and for the shared
fields (rate, last result) the newest write wins. Removing a field keeps its stamp (a tombstone), so a late write
cannot bring a finished interview back.

Deadlines: every storage call runs against the turn's deadline (``turn_deadline``: the Lambda context's remaining
time when there is one, and at most ``TURN_STORAGE_BUDGET_S``). botocore's timeouts bound only the gap between
two bytes (a trickling endpoint held a turn for 12 s), so each call runs in a worker thread that the turn stops
waiting for at the deadline: a read then counts as failed and a save is deferred to the next turn. An abandoned
call may still complete later; the stamps make that harmless.

``ResilientPersistence`` wraps any adapter: reads give ``None`` (unknown) and saves give ``False`` on any error or
timeout; only an error code is logged, never the attributes or an id. It stamps a ``ttl`` (epoch seconds) on
every write and turns DynamoDB's ``Decimal`` numbers back into ``int``/``float``. A failed delete is logged and
raised, so "delete my data" never confirms a deletion that did not happen. Adapters that implement only the
ASK SDK interface (``get_attributes``/``save_attributes``) are used read-modify-write, without the guarantees.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.exceptions import PersistenceException

if TYPE_CHECKING:
    from ask_sdk_model import RequestEnvelope

log = logging.getLogger(__name__)

TTL_ATTRIBUTE = "ttl"
DEFAULT_TTL_DAYS = 30
PARTITION_KEY = "id"
ATTRIBUTES_NAME = "attributes"  # the SDK adapter's item attribute; unused by our item layout (see above)
FIELDS = ("interview", "rate", "last", "consent")
ALL_INTERVIEWS = "interview.*"  # in a save's changes (value None): remove the interviews of every device
VALUE_PREFIX = "v."
STAMP_PREFIX = "t."
NO_DEVICE = "-"

# Alexa waits 8 s for a response and the function times out at 7 s (template.yaml). Storage gets at most this much
# of a turn, and each call at most its cap; below MIN_CALL_S a call is not started at all.
TURN_STORAGE_BUDGET_S = 4.5
READ_CAP_S = 2.0
WRITE_CAP_S = 2.0
DELETE_CAP_S = 2.5
MIN_CALL_S = 0.05
LAMBDA_RESERVE_S = 1.0  # kept back from the Lambda's remaining time for building and returning the answer
MAX_ABANDONED_CALLS = 64  # calls still running after their turn stopped waiting; beyond this, storage is skipped
# botocore's own limits (per connection attempt / per gap between bytes), inside the per-call cap above.
_CONNECT_TIMEOUT_S = 0.5
_READ_TIMEOUT_S = 1.0
_MAX_ATTEMPTS = 2



# -- keys -----------------------------------------------------------------------------------------------------------
def person_or_user_partition_keygen(request_envelope: RequestEnvelope) -> str:
    """The recognised person's id when Alexa sends one, else the account's user id (``partition_keygen`` for
    the ASK SDK's DynamoDbAdapter). Unlike the SDK's ``person_id_partition_keygen``, a ``person`` object without
    an id falls back to the account instead of giving ``None``."""
    system = getattr(getattr(request_envelope, "context", None), "system", None)
    person_id = getattr(getattr(system, "person", None), "person_id", None)
    if isinstance(person_id, str) and person_id:
        return person_id
    user_id = getattr(getattr(system, "user", None), "user_id", None)
    if isinstance(user_id, str) and user_id:
        return user_id
    raise PersistenceException("no person or user id in the request envelope")


def _digest(text: str, length: int) -> str:
    import hashlib  # only when storing: OpenSSL's load costs the cold start ~3 ms otherwise

    return hashlib.sha256(text.encode()).hexdigest()[:length]


def device_key(request_envelope: RequestEnvelope) -> str:
    """A short hash of the device id (the raw id is never stored), or ``-`` without one."""
    system = getattr(getattr(request_envelope, "context", None), "system", None)
    device_id = getattr(getattr(system, "device", None), "device_id", None)
    if not isinstance(device_id, str) or not device_id:
        return NO_DEVICE
    return _digest(device_id, 16)


def owner_tag(request_envelope: RequestEnvelope) -> str:
    """A short hash of the record's key: lets a session notice that the speaker changed (never stored)."""
    try:
        key = person_or_user_partition_keygen(request_envelope)
    except PersistenceException:
        return ""
    return _digest(key, 12)


def storage_name(field: str, device: str) -> str:
    """The stored field name: the unfinished interview is kept per device."""
    return f"interview.{device}" if field == "interview" else field


def fingerprint(value: Any) -> str:
    """A short digest of a field's value (``-`` for absent): what the session believes is stored."""
    if value is None:
        return "-"
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return _digest(text, 16)


_last_stamp = 0
_stamp_lock = threading.Lock()


def now_ms() -> int:
    """Epoch milliseconds, strictly increasing within this process (two writes in one millisecond stay ordered)."""
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(time.time_ns() // 1_000_000, _last_stamp + 1)
        return _last_stamp


# -- deadlines ------------------------------------------------------------------------------------------------------
_turn_deadline: contextvars.ContextVar[tuple[str, float] | None] = contextvars.ContextVar("turn_deadline",
                                                                                          default=None)


def turn_deadline(context: Any = None, start: float | None = None, request_id: str = "") -> float:
    """The monotonic time by which this turn's storage work must be done: at most TURN_STORAGE_BUDGET_S from now,
    and never later than the Lambda's remaining time minus a reserve. Also remembered for this request (for the
    SDK's delete call, which carries no deadline: see ``current_deadline``)."""
    start = time.monotonic() if start is None else start
    budget = TURN_STORAGE_BUDGET_S
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        with contextlib.suppress(TypeError, ValueError):
            budget = min(budget, float(remaining()) / 1000 - LAMBDA_RESERVE_S)
    deadline = start + max(0.0, budget)
    _turn_deadline.set((request_id, deadline))
    return deadline


def current_deadline(request_envelope: Any = None) -> float:
    """The deadline set for this request by ``turn_deadline``; a fresh budget for a call outside a turn."""
    remembered = _turn_deadline.get()
    request_id = getattr(getattr(request_envelope, "request", None), "request_id", None) or ""
    if remembered is not None and remembered[0] == request_id:
        return remembered[1]
    return time.monotonic() + TURN_STORAGE_BUDGET_S


class DeadlineExceeded(Exception):
    """A storage call did not finish (or could not start) before the turn's deadline."""


_abandoned_lock = threading.Lock()
_abandoned = 0  # calls still running after their turn stopped waiting for them


def abandoned_calls() -> int:
    return _abandoned


def bounded_call[T](fn: Callable[[], T], deadline: float, cap: float) -> T:
    """Run ``fn`` in a daemon thread and wait at most until ``deadline`` (and ``cap`` seconds). Raises
    DeadlineExceeded if the time is up (the call may still finish in the background), if too little is left to
    start, or if MAX_ABANDONED_CALLS earlier calls are still running (a store that hangs is not piled onto);
    re-raises the call's own exception."""
    global _abandoned
    wait = min(cap, deadline - time.monotonic())
    if wait < MIN_CALL_S:
        raise DeadlineExceeded("no time left")
    if _abandoned >= MAX_ABANDONED_CALLS:
        raise DeadlineExceeded("too many storage calls still running")
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        global _abandoned
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the waiting turn
            box["error"] = e
        finally:
            with _abandoned_lock:
                done.set()
                if box.get("abandoned"):
                    _abandoned -= 1

    threading.Thread(target=run, name="storage-call", daemon=True).start()
    if not done.wait(wait):
        with _abandoned_lock:
            if not done.is_set():
                box["abandoned"] = True
                _abandoned += 1
                raise DeadlineExceeded("storage call timed out")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


# -- configuration --------------------------------------------------------------------------------------------------
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
    adapter_class = _field_dynamodb_adapter_class()
    adapter: AbstractPersistenceAdapter = adapter_class(
        table_name=table_name,
        partition_key_name=PARTITION_KEY,
        attribute_name=ATTRIBUTES_NAME,
        create_table=False,
        partition_keygen=person_or_user_partition_keygen,
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


# -- the field store interface ----------------------------------------------------------------------------------------
@runtime_checkable
class FieldStore(Protocol):
    """What both our adapters (DynamoDB, SQLite) implement on top of the ASK SDK interface."""

    def read_record(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        """The owner's fields for this device (``interview``, ``rate``, ``last``; absent = none) and ``ttl``."""
        ...

    def write_fields(
        self, request_envelope: RequestEnvelope, changes: Mapping[str, Any], stamp: int, ttl: int
    ) -> None:
        """Per field, newest wins: set (or remove, for None) each field unless a newer stamp is stored; renew the
        owner's TTL. Empty ``changes`` only renews the TTL of an existing record."""
        ...


@cache
def _field_dynamodb_adapter_class() -> Any:
    """The SDK's ``DynamoDbAdapter`` (table, key generator, delete) with per-field conditional writes.

    Defined lazily: importing ``ask_sdk_dynamodb.adapter`` evaluates ``boto3.resource("dynamodb")`` as a default
    argument, which fails without a region and costs cold-start time when no table is used.
    """
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    class FieldDynamoDbAdapter(DynamoDbAdapter):
        """Item: ``id``, ``ttl`` (top level, where DynamoDB's TTL looks), and per field ``v.<name>`` (value) and
        ``t.<name>`` (stamp, epoch ms)."""

        def read_record(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
            table = self.dynamodb.Table(self.table_name)
            key = self.partition_keygen(request_envelope)
            try:
                item = table.get_item(Key={self.partition_key_name: key}, ConsistentRead=True).get("Item")
            except Exception as e:
                raise _persistence_error("get", e) from e
            return _fields_of(item or {}, device_key(request_envelope), VALUE_PREFIX)

        def write_fields(
            self, request_envelope: RequestEnvelope, changes: Mapping[str, Any], stamp: int, ttl: int
        ) -> None:
            key = {self.partition_key_name: self.partition_keygen(request_envelope)}
            table = self.dynamodb.Table(self.table_name)
            device = device_key(request_envelope)
            named = {storage_name(f, device): v for f, v in changes.items() if f != ALL_INTERVIEWS}
            try:
                if ALL_INTERVIEWS in changes:  # every device's interview: their names are in the item
                    item = table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
                    for name in item:
                        if name.startswith(VALUE_PREFIX + "interview."):
                            named.setdefault(name[len(VALUE_PREFIX):], None)
                if not named:
                    self._update(table, key, {}, stamp, ttl, touch=True)
                    return
                try:
                    self._update(table, key, named, stamp, ttl)
                except Exception as e:
                    if error_code(e) != "ConditionalCheckFailedException" or len(named) == 1:
                        raise
                    for name, value in named.items():  # some field is newer in the store: field by field
                        try:
                            self._update(table, key, {name: value}, stamp, ttl)
                        except Exception as each:
                            if error_code(each) != "ConditionalCheckFailedException":
                                raise
            except Exception as e:
                if error_code(e) == "ConditionalCheckFailedException":
                    return  # superseded by a newer write (or, for a touch, nothing to renew): not an error
                raise _persistence_error("update", e) from e

        def _update(
            self, table: Any, key: dict[str, str], named: Mapping[str, Any], stamp: int, ttl: int,
            touch: bool = False,
        ) -> None:
            names = {"#ttl": TTL_ATTRIBUTE, "#id": self.partition_key_name}
            values: dict[str, Any] = {":ttl": ttl}
            sets, removes, conditions = ["#ttl = :ttl"], [], []
            for i, (name, value) in enumerate(sorted(named.items())):
                names[f"#v{i}"], names[f"#t{i}"] = VALUE_PREFIX + name, STAMP_PREFIX + name
                sets.append(f"#t{i} = :s")
                if value is None:
                    removes.append(f"#v{i}")
                else:
                    sets.append(f"#v{i} = :v{i}")
                    values[f":v{i}"] = _to_dynamodb(value)
                conditions.append(f"(attribute_not_exists(#t{i}) OR #t{i} < :s)")
            if named:
                values[":s"] = stamp
            if touch:
                conditions.append("attribute_exists(#id)")
            else:
                del names["#id"]
            expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
            table.update_item(
                Key=key,
                UpdateExpression=expression,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

        def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
            return self.read_record(request_envelope)

        def save_attributes(self, request_envelope: RequestEnvelope, attributes: Mapping[str, Any]) -> None:
            """The SDK's whole-record save, done per field (newest wins), never as a blind overwrite."""
            changes = {f: attributes[f] for f in FIELDS if f in attributes}
            ttl = attributes.get(TTL_ATTRIBUTE)
            self.write_fields(request_envelope, changes, now_ms(), int(ttl) if ttl else _default_expiry())

    return FieldDynamoDbAdapter


def _default_expiry() -> int:
    return int(time.time()) + ttl_days_from_env() * 86_400


def _fields_of(item: Mapping[str, Any], device: str, prefix: str) -> dict[str, Any]:
    """The skill's view of a stored item: ``rate``, ``last``, this device's ``interview``, ``ttl``."""
    record: dict[str, Any] = {}
    for field in FIELDS:
        value = item.get(prefix + storage_name(field, device))
        if value is not None:
            record[field] = value
    if TTL_ATTRIBUTE in item and record:
        record[TTL_ATTRIBUTE] = item[TTL_ATTRIBUTE]
    return record


def _persistence_error(what: str, cause: BaseException) -> Exception:
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
    """Never lets storage break a turn, erase a newer record or overrun the turn: see the module docstring."""

    def __init__(
        self,
        adapter: AbstractPersistenceAdapter,
        ttl_days: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.adapter = adapter
        self.ttl_days = ttl_days if ttl_days is not None else ttl_days_from_env()
        self.clock = clock

    # -- what the skill's interceptors use --
    def load(self, request_envelope: RequestEnvelope, deadline: float | None = None) -> dict[str, Any] | None:
        """The record (``{}`` when there is none), or None when it could not be read in time."""
        adapter = self.adapter

        def read() -> Any:
            if isinstance(adapter, FieldStore):
                return adapter.read_record(request_envelope)
            return adapter.get_attributes(request_envelope=request_envelope)

        try:
            loaded = bounded_call(read, current_deadline(request_envelope) if deadline is None else deadline,
                                  READ_CAP_S)
        except Exception as e:
            log.error("persistence.get_failed code=%s", error_code(e))
            return None
        if not isinstance(loaded, Mapping):
            return {}
        attributes = dict(from_decimal(loaded))
        expires = attributes.pop(TTL_ATTRIBUTE, None)
        if isinstance(expires, int | float) and expires <= self.clock():
            return {}  # expired but not yet swept by the store
        return attributes

    def save_fields(
        self,
        request_envelope: RequestEnvelope,
        changes: Mapping[str, Any],
        stamp: int | None = None,
        deadline: float | None = None,
    ) -> bool:
        """Write these fields (None = remove) per field, newest wins; True when done (written, or superseded by
        a newer write), False when it failed or was deferred for lack of time (the caller retries next turn)."""
        adapter = self.adapter
        stamp = now_ms() if stamp is None else stamp
        expiry = self.expiry()

        def write() -> None:
            if isinstance(adapter, FieldStore):
                adapter.write_fields(request_envelope, dict(changes), stamp, expiry)
                return
            # An adapter with only the SDK interface: read-modify-write (no newest-wins guarantee).
            current = dict(adapter.get_attributes(request_envelope=request_envelope) or {})
            for field, value in changes.items():
                if field == ALL_INTERVIEWS:
                    continue
                if value is None:
                    current.pop(field, None)
                else:
                    current[field] = value
            current[TTL_ATTRIBUTE] = expiry
            adapter.save_attributes(request_envelope=request_envelope, attributes=current)

        try:
            bounded_call(write, current_deadline(request_envelope) if deadline is None else deadline, WRITE_CAP_S)
        except Exception as e:
            log.error("persistence.save_failed code=%s", error_code(e))
            return False
        return True

    # -- the ASK SDK interface --
    def get_attributes(self, request_envelope: RequestEnvelope) -> dict[str, Any]:
        return self.load(request_envelope) or {}

    def save_attributes(self, request_envelope: RequestEnvelope, attributes: Mapping[str, Any]) -> None:
        """Field by field (the known fields present in ``attributes``), never a whole-record overwrite."""
        self.save_fields(request_envelope, {f: attributes[f] for f in FIELDS if f in attributes})

    def delete_attributes(self, request_envelope: RequestEnvelope) -> None:
        """Unlike get/save, a failed delete raises (PersistenceException carrying only the code): "forget me"
        must not confirm a deletion that did not happen."""
        adapter = self.adapter
        try:
            bounded_call(lambda: adapter.delete_attributes(request_envelope=request_envelope),
                         current_deadline(request_envelope), DELETE_CAP_S)
        except Exception as e:
            code = error_code(e)
            log.error("persistence.delete_failed code=%s", code)
            raise PersistenceException(f"delete failed: {code}") from None

    def expiry(self) -> int:
        return int(self.clock()) + self.ttl_days * 86_400


def persistence_from_env() -> ResilientPersistence | None:
    """What Lambda should pass to ``build_skill``: the DynamoDB adapter wrapped resiliently, or None."""
    adapter = adapter_from_env()
    return ResilientPersistence(adapter) if adapter is not None else None
