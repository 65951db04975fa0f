"""Durations in the campaign format: ``30m``, ``4h``, ``2d``, ``1w``, or combined (``1d12h``)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[smhdw]\s*)+$")


class DurationError(ValueError):
    """Raised for text that is not a duration."""


def parse_duration(text: object) -> timedelta:
    """Parse ``"2d"`` into ``timedelta(days=2)``; refuse anything else with a clear message."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise DurationError(f"{text!r} is not a duration (use forms like 30m, 4h, 2d, 1w)")
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise DurationError(f"{text!r} is not a positive duration")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest canonical text for a duration (``timedelta(hours=36)`` -> ``1d12h``)."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        n, seconds = divmod(seconds, _UNITS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts) or "0s"
