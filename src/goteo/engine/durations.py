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
    """A duration as people write it, which ``parse_duration`` reads back as the same value.

    Whole weeks are weeks (``2w``); anything else counts days first (``30d``, not ``4w2d``),
    then hours, minutes and seconds (``1d12h``, ``1h30m``). Fractions of a second are dropped.
    """
    seconds = int(delta.total_seconds())
    if seconds > 0 and seconds % _UNITS["w"] == 0:
        return f"{seconds // _UNITS['w']}w"
    parts = []
    for unit in ("d", "h", "m", "s"):
        n, seconds = divmod(seconds, _UNITS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts) or "0s"
