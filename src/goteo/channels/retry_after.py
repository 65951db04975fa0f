"""What an HTTP provider's ``Retry-After`` asks for, in seconds: a number, or an HTTP date.

Read by every HTTP channel that tells throttling apart (``base.Throttled``): anymail's
providers, Twilio, the print-and-mail API and webhooks. The statuses that mean "too fast" are
429 (with or without the header) and 503 when it carries a ``Retry-After``.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

TOO_MANY_REQUESTS = 429
UNAVAILABLE = 503


def retry_after(value: object, now: float | None = None) -> float | None:
    """``"120"`` -> 120.0; ``"Wed, 21 Oct 2026 07:28:00 GMT"`` -> the seconds until then (0 if
    past); None for no header or one that cannot be read."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is always GMT
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)


def throttled_status(status: int, header: object) -> bool:
    """Whether an HTTP answer means "too fast": 429, or 503 with a ``Retry-After``."""
    if status == TOO_MANY_REQUESTS:
        return True
    return status == UNAVAILABLE and retry_after(header) is not None
