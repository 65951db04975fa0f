"""How a refused provider webhook is answered and logged: 400 (413 when too large) and one line.

A forged request (wrong basic auth, a bad signature, a stale or missing timestamp) and a
malformed one (a body that is not the provider's payload) are logged at INFO, one line each,
without a traceback. When forged requests to one provider keep coming, GOTEO_WEBHOOK_WARN_AFTER
of them within GOTEO_WEBHOOK_WARN_WINDOW seconds (10 in 300 by default) in one web process,
that provider's secret is failing repeatedly: one WARNING says so, at most once per window.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

logger = logging.getLogger("goteo.webhooks")


class RepeatedFailures:
    """Refusal times per provider in a sliding window; says when to warn."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._times: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._times.clear()
            self._warned.clear()

    def note(self, provider: str, limit: int, window: float) -> int | None:
        """Count one refusal; the number in the window when a warning is due, else None."""
        now = self.clock()
        with self._lock:
            times = self._times.setdefault(provider, deque())
            times.append(now)
            while times and times[0] <= now - window:
                times.popleft()
            last = self._warned.get(provider)
            if len(times) < limit or (last is not None and last > now - window):
                return None
            self._warned[provider] = now
            return len(times)


FAILURES = RepeatedFailures()


def _answer(
    request: HttpRequest, status: int, text: str, level: str, message: str, *args: object
) -> HttpResponse:
    """The response, logged once (Django then does not log it again)."""
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    log_response(message, *args, response=response, request=request, logger=logger, level=level)
    return response


REFUSED = "%s webhook refused: %s"


def forged(request: HttpRequest, provider: str, reason: str) -> HttpResponse:
    limit = int(getattr(settings, "GOTEO_WEBHOOK_WARN_AFTER", 10))
    window = float(getattr(settings, "GOTEO_WEBHOOK_WARN_WINDOW", 300))
    repeated = FAILURES.note(provider, limit, window)
    text = "refused: the request is not authenticated as this provider's\n"
    if repeated is None:
        return _answer(request, 400, text, "info", REFUSED, provider, reason)
    return _answer(
        request,
        400,
        text,
        "warning",
        "%s webhook: %s refused requests in %s s (latest: %s); check the webhook secret set"
        " at the provider, or someone is guessing it",
        provider,
        repeated,
        f"{window:g}",
        reason,
    )


def malformed(request: HttpRequest, provider: str, reason: str) -> HttpResponse:
    text = f"refused: {reason}\n"
    return _answer(request, 400, text, "info", REFUSED, provider, reason)


def too_large(request: HttpRequest, provider: str, limit: int) -> HttpResponse:
    reason = f"the body is larger than {limit} bytes"
    return _answer(request, 413, f"refused: {reason}\n", "info", REFUSED, provider, reason)
