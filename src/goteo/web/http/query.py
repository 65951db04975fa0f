"""Reading a query parameter that must be a whole number in a range."""

from __future__ import annotations

import re

# ASCII digits only: "¹".isdigit() is true, but int("¹") fails.
_DIGITS = re.compile(r"[0-9]{1,12}")


def whole_number(text: str, low: int, high: int) -> int | None:
    """The number ``text`` spells, if from ``low`` to ``high``; None otherwise."""
    text = text.strip()
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        return None
    return int(text)
