"""The per-turn storage deadline: calls bounded in total time (not only between bytes), deadlines belong to their
request, and a hung store is not piled onto."""

from __future__ import annotations

import threading
import time

import pytest

from hosting.sqlite_persistence import SqlitePersistenceAdapter
from skill import persistence as p
from skill.persistence import DeadlineExceeded, ResilientPersistence, bounded_call, turn_deadline
from tests.persistence.helpers import envelope


def test_a_slow_call_is_abandoned_at_the_deadline_and_finishes_in_the_background() -> None:
    release = threading.Event()
    finished = threading.Event()

    def slow() -> str:
        release.wait(5)
        finished.set()
        return "late"

    start = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        bounded_call(slow, time.monotonic() + 0.2, cap=5)
    assert time.monotonic() - start < 0.5
    assert p.abandoned_calls() >= 1
    release.set()
    assert finished.wait(2)
    time.sleep(0.05)
    assert p.abandoned_calls() == 0


def test_results_and_errors_come_back() -> None:
    assert bounded_call(lambda: 41 + 1, time.monotonic() + 1, cap=1) == 42
    with pytest.raises(ZeroDivisionError):
        bounded_call(lambda: 1 // 0, time.monotonic() + 1, cap=1)


def test_no_call_is_started_without_time_left() -> None:
    ran = []
    with pytest.raises(DeadlineExceeded):
        bounded_call(lambda: ran.append(1), time.monotonic() + 0.01, cap=1)
    assert ran == []


def test_too_many_abandoned_calls_means_storage_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(p, "_abandoned", p.MAX_ABANDONED_CALLS)
    with pytest.raises(DeadlineExceeded, match="still running"):
        bounded_call(lambda: 1, time.monotonic() + 1, cap=1)


def test_the_lambda_context_shortens_the_budget() -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 2_000

    assert turn_deadline(Context(), start=100.0) == pytest.approx(100.0 + 2.0 - p.LAMBDA_RESERVE_S)
    assert turn_deadline(None, start=100.0) == pytest.approx(100.0 + p.TURN_STORAGE_BUDGET_S)


def test_an_earlier_turn_s_deadline_never_applies_to_another_request(tmp_path: object) -> None:
    turn_deadline(None, start=0.0, request_id="amzn1.echo-api.request.long-gone")  # long past
    db = SqlitePersistenceAdapter(":memory:")
    try:
        store = ResilientPersistence(db)
        assert store.save_fields(envelope(), {"rate": "slower"}) is True
        assert store.load(envelope()) == {"rate": "slower"}
        store.delete_attributes(envelope())
    finally:
        db.close()
