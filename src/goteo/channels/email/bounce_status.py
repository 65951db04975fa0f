"""Hard or soft, from an SMTP answer: the first digit of its status code decides.

An enhanced status code (RFC 3463, ``5.1.1``) wins over a reply code (``550``): ``5`` is a
permanent failure (hard), ``4`` a temporary one (soft), ``2`` a success.
"""

from __future__ import annotations

import re

HARD, SOFT = "hard", "soft"

_ENHANCED = re.compile(r"(?<![\d.])([245])\.\d{1,3}\.\d{1,3}(?![\d.])")
_REPLY = re.compile(r"(?:^|[\s;:])([245])\d\d(?=[\s\-]|$)")


def status_code(text: str) -> str:
    """The enhanced status code in ``text`` (``5.1.1``), or ``""``."""
    match = _ENHANCED.search(text or "")
    return match.group(0) if match else ""


def severity(text: str | None) -> str:
    """``hard``, ``soft`` or ``""`` (no failure code found) for an SMTP answer or DSN status."""
    if not text:
        return ""
    match = _ENHANCED.search(text) or _REPLY.search(text)
    if match is None:
        return ""
    return {"5": HARD, "4": SOFT}.get(match.group(1), "")
