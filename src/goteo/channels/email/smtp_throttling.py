"""Telling an SMTP server's "you send too fast" apart from other temporary refusals.

A throttle answer is retried later without using up an attempt, and the worker slows the
channel down (``base.Throttled``). What counts as one:

- ``421`` (the server is closing the connection: too many messages or connections), except
  an idle timeout (``4.4.2``), which only means the kept-open connection was dropped;
- ``450``, ``451``, ``452`` or ``454`` with an enhanced code in the policy class ``4.7.x``
  (``4.7.28 rate limited``, ``4.7.0 try again later``), or with throttling words in the text
  ("rate limit", "throttl…", "too many messages", "slow down", "exceeded"). A bare "try again
  later" is not one: most temporary failures say so.

A hint in the text, such as "try again in 30 seconds" or "retry after 5 minutes", becomes the
result's ``retry_after``.
"""

from __future__ import annotations

import re

THROTTLE_CODES = frozenset((450, 451, 452, 454))
_POLICY = re.compile(r"\b4\.7\.\d{1,3}\b")
_IDLE = re.compile(r"\b4\.4\.2\b")
_WORDS = re.compile(
    r"rate.?limit|throttl|too many (?:messages|mails|emails|connections|requests|sessions)"
    r"|slow down|exceeded",
    re.IGNORECASE,
)
_HINT = re.compile(
    r"(?:in|after)\s+(\d{1,6})\s*(s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b", re.IGNORECASE
)
_UNIT = {"s": 1, "m": 60, "h": 3600}


def is_throttle(code: int, text: str) -> bool:
    if code == 421:
        return not _IDLE.search(text)
    return code in THROTTLE_CODES and bool(_POLICY.search(text) or _WORDS.search(text))


def hint(text: str) -> float | None:
    """The wait the server asks for, in seconds, when its text says."""
    found = _HINT.search(text)
    if found is None:
        return None
    return float(int(found.group(1)) * _UNIT[found.group(2)[0].lower()])
