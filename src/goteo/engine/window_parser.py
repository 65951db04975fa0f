"""Parse a campaign's ``window: {days: [mon, …], hours: "09:00-18:00"}``, naming each problem."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time
from typing import Any

from goteo.engine.window import DAY_NAMES, Window

Fail = Callable[[str, str], None]
HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_window(value: Any, fail: Fail) -> Window | None:
    """The window, or None (having called ``fail(path, message)`` for each problem)."""
    if not isinstance(value, dict):
        fail("window", "must be a mapping with days and hours")
        return None
    for k in value:
        if k not in ("days", "hours"):
            fail(f"window.{k}", "unknown key (expected days, hours)")
    days_value = value.get("days", list(DAY_NAMES))
    days: set[int] = set()
    if not isinstance(days_value, list) or not days_value:
        fail("window.days", "must be a non-empty list like [mon, tue, wed]")
    else:
        for i, day in enumerate(days_value):
            name = str(day).lower()[:3]
            full = (
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            )
            if not isinstance(day, str) or day.lower() not in (*DAY_NAMES, *full):
                fail(f"window.days[{i}]", f"{day!r} is not a day (mon … sun)")
            else:
                days.add(DAY_NAMES.index(name))
    hours = value.get("hours", "00:00-24:00")
    match = HOURS.match(hours) if isinstance(hours, str) else None
    if not match:
        fail("window.hours", f"{hours!r} must look like 09:00-18:00")
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        fail("window.hours", f"{hours!r} is not a valid time range")
        return None
    if (h1, m1) == (h2, m2):
        fail("window.hours", f"{hours!r} is an empty range")
        return None
    return Window(frozenset(days), time(h1, m1), time(h2 % 24, m2)) if days else None
