"""Speech assembly: every piece of text is escaped before it goes into SSML; the emergency number is read as
digits. Keeps a plain-text twin of what is said (for cards, the repeat cache, word counts and the simulator)."""

from __future__ import annotations

import datetime as dt
import re
from html import escape as _html_escape
from html import unescape

from skill.locale import Strings

RATES = {"slower": "85%", "faster": "115%"}


def escape(text: str) -> str:
    """Text for an SSML element's content: &, < and > escaped (quotes are fine outside attributes)."""
    return _html_escape(text, quote=False)
_SPEAK = re.compile(r"^<speak>(.*)</speak>$", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,?!;:])")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Fill {name} placeholders that have a value; any other brace in (knowledge) text stays as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _iso_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


BREATH = '<break strength="x-strong"/>'


def breaths(ssml: str) -> list[str]:
    """The plain words of each breath of a turn's SSML (see ``Speech.breath``)."""
    return [ssml_to_text(part) for part in (ssml or "").split(BREATH)]


class Speech:
    """Builds one utterance from locale strings and knowledge text."""

    def __init__(self, strings: Strings) -> None:
        self._t = strings
        self._ssml: list[str] = []
        self._plain: list[str] = []

    def say(self, key: str, **values: str) -> Speech:
        return self.text(self._t[key], **values)

    def text(self, template: str, **values: str) -> Speech:
        if not template:
            return self
        number = self._t.emergency_number
        plain_values = {**values, "emergency_number": number}
        ssml_values = {k: escape(v) for k, v in values.items()}
        ssml_values["emergency_number"] = f'<say-as interpret-as="digits">{escape(number)}</say-as>'
        if "date" in values:  # an ISO date: read as a date (say-as), written in the locale's style
            day = _iso_date(values["date"])
            plain_values["date"] = day.strftime(self._t["date_format"]) if day else self._t["date_unknown"]
            ssml_values["date"] = (f'<say-as interpret-as="date" format="ymd">{day.isoformat()}</say-as>' if day
                                   else escape(self._t["date_unknown"]))
        self._plain.append(fill(template, plain_values))
        self._ssml.append(fill(escape(template), ssml_values))
        return self

    def breath(self) -> Speech:
        """A pause for breath between two parts of one turn (the advice, then its likeliest cause): a paragraph-long
        break in the SSML, nothing in the plain words. Tests measure each breath against the one-breath limit."""
        if self._ssml:
            self._ssml.append(BREATH)
        return self

    def extend(self, other: Speech) -> Speech:
        self._ssml.extend(other._ssml)
        self._plain.extend(other._plain)
        return self

    @property
    def ssml(self) -> str:
        return " ".join(self._ssml)

    @property
    def plain(self) -> str:
        return " ".join(self._plain)

    def __bool__(self) -> bool:
        return bool(self._ssml)


def with_rate(ssml: str, rate: str | None) -> str:
    """Wrap a full <speak> document in prosody for the chosen speech rate."""
    percent = RATES.get(rate or "")
    match = _SPEAK.match(ssml or "")
    if not percent or not match:
        return ssml
    return f'<speak><prosody rate="{percent}">{match.group(1)}</prosody></speak>'


def ssml_to_text(ssml: str) -> str:
    """Plain words of an SSML document (for word counts and logs-free checks)."""
    text = " ".join(unescape(_TAG.sub(" ", ssml or "")).split())
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def word_count(text: str) -> int:
    return len(text.split())
