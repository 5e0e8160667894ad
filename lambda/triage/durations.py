"""ISO-8601 durations as AMAZON.DURATION sends them ("PT2H", "P3D", "P2W", "P1M")."""

from __future__ import annotations

import datetime as dt
import re

_PATTERN = re.compile(
    r"^P(?!$)(?:(?P<Y>\d+(?:\.\d+)?)Y)?(?:(?P<Mo>\d+(?:\.\d+)?)M)?(?:(?P<W>\d+(?:\.\d+)?)W)?(?:(?P<D>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<Mi>\d+(?:\.\d+)?)M)?(?:(?P<S>\d+(?:\.\d+)?)S)?)?$",
    re.ASCII,  # AMAZON.DURATION sends ASCII digits; anything else is not a duration
)
# Calendar units are approximated: a month is 30 days, a year 365 days. Good enough for "how long".
_SECONDS = {"Y": 365 * 86400, "Mo": 30 * 86400, "W": 7 * 86400, "D": 86400, "H": 3600, "Mi": 60, "S": 1}


def parse_duration(text: str) -> float:
    """Seconds in an ISO-8601 duration; ValueError if it is not one."""
    match = _PATTERN.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not an ISO-8601 duration: {text!r}")
    return float(sum(float(v) * _SECONDS[k] for k, v in match.groupdict().items() if v is not None))


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_WEEK = re.compile(r"^\d{4}-W\d{2}$", re.ASCII)
_WEEKEND = re.compile(r"^\d{4}-W\d{2}-WE$", re.ASCII)
_MONTH = re.compile(r"^\d{4}-\d{2}$", re.ASCII)


def since_date(value: str, now: dt.datetime) -> str | None:
    """How long since a date said as AMAZON.DATE ("since Saturday"), as ISO-8601, counted from ``now`` (the
    request's timestamp; UTC unless the device's time zone is known). None if it cannot be read as a past date.

    Alexa resolves a bare weekday to its next occurrence and biases dates towards the future, so a date up to a
    week ahead is taken as the same weekday last week, and a month ahead of this one as that month last year.
    Weeks ("2026-W47") count from their Monday, weekends ("2026-W47-WE") from their Saturday, months from the 1st.
    Today gives the hours since midnight (at least one)."""
    today = now.date()
    try:
        if _WEEKEND.match(value):
            start = dt.date.fromisocalendar(int(value[:4]), int(value[6:8]), 6)
        elif _WEEK.match(value):
            start = dt.date.fromisocalendar(int(value[:4]), int(value[6:8]), 1)
        elif _MONTH.match(value):
            start = dt.date(int(value[:4]), int(value[5:7]), 1)
            if start > today:
                start = start.replace(year=start.year - 1)
        elif _DAY.match(value):
            start = dt.date.fromisoformat(value)
            if today < start <= today + dt.timedelta(days=7):
                start -= dt.timedelta(days=7)
        else:
            return None
    except ValueError:
        return None
    days = (today - start).days
    if days < 0:
        return None
    if days == 0:
        return f"PT{max(1, now.hour)}H"
    return f"P{days}D"
