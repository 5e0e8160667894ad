"""Locale strings as data (strings.json): shared English, overridden per locale."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SUPPORTED = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
DEFAULT_LOCALE = "en-US"


class Strings:
    def __init__(self, locale: str, table: dict[str, Any]) -> None:
        self.locale = locale
        self._table = table

    def __getitem__(self, key: str) -> Any:
        return self._table[key]

    @property
    def emergency_number(self) -> str:
        return str(self._table["emergency_number"])


@lru_cache(maxsize=1)
def _raw() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((Path(__file__).with_name("strings.json")).read_text("utf-8"))
    return data


@lru_cache(maxsize=16)
def strings_for(locale: str | None) -> Strings:
    """Strings for a locale; an unsupported or missing locale falls back to en-US (never an error)."""
    raw = _raw()
    chosen = locale if locale in SUPPORTED else DEFAULT_LOCALE
    return Strings(chosen, {**raw["en"], **raw.get(chosen, {})})
