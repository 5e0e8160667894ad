"""Multi-turn conversations written as data (tests/*/conversations/*.yaml, the format of tests/conversations.py),
run through the real skill with real envelopes; with ``store: sqlite``, through the embedded store, checking what
is kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hosting.sqlite_persistence import SqlitePersistenceAdapter
from skill import build_skill
from tests import conversations
from tests.conversations import Conversation

CASES = conversations.load_all(Path(__file__).resolve().parents[1])


def test_scripts_exist() -> None:
    assert len(CASES) >= 40
    assert any(case.get("store") for _, case in CASES)
    assert any(not conversations.INTENT_NAME.match(s["say"]) and s["say"] not in ("launch", "new_session", "request")
               for _, case in CASES for s in case["steps"]), "no conversation in words"


def _known_defect(case: dict[str, Any]) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []


@pytest.mark.parametrize("case", [pytest.param(c, id=i, marks=_known_defect(c)) for i, c in CASES])
def test_conversation(case: dict[str, Any], tmp_path: Path) -> None:
    if case.get("store") == "sqlite":
        store = SqlitePersistenceAdapter(path=tmp_path / "skill.sqlite3")
        try:
            conv = Conversation(skill=build_skill(persistence_adapter=store), locale=case.get("locale", "en-US"))
            conversations.run(case, conv, lambda: conversations.stored_record(tmp_path / "skill.sqlite3"))
        finally:
            store.close()
    else:
        conversations.run(case, Conversation(skill=build_skill(), locale=case.get("locale", "en-US")))
