"""The one check for control characters, on every entry path (contact fields, phone numbers,
postal addresses, events): C0 and C1 controls, DEL and the Unicode line separators."""

from __future__ import annotations

import re

CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTILINE_OK = "\t\n\r"  # allowed in free text (attribute values), never in one-line fields


def control_problem(text: str, *, one_line: bool = True) -> str | None:
    """Why ``text`` cannot be stored, naming the first control character; None if it can.

    A one-line field (a name, a locale, a key) takes no control character at all; free text
    (an attribute's value) may hold tabs and line breaks, but nothing else.
    """
    for match in CONTROL_CHAR.finditer(text):
        char = match.group()
        if one_line or char not in _MULTILINE_OK:
            kind = "a line break" if char in "\n\r\u2028\u2029" else "a control character"
            return f"contains {kind} (U+{ord(char):04X}) at position {match.start() + 1}"
    return None
