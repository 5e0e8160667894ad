"""ISO-8601 durations as AMAZON.DURATION sends them ("PT2H", "P3D", "P2W", "P1M")."""

from __future__ import annotations

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
