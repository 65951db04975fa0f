"""Logging a connection that fails again and again, without a line per message.

The first failure of a run is logged at WARNING at once; while it keeps failing, at most one
line every ``every`` seconds says how many attempts failed meanwhile; the first success after
a failure says so, also at WARNING, so that whoever read the warning knows it is over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

REPEAT_EVERY = 60.0  # seconds between two warnings about the same run of failures


class ConnectionTrouble:
    def __init__(
        self,
        log: logging.Logger,
        server: str,
        every: float = REPEAT_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.server = server
        self.every = every
        self.monotonic = monotonic
        self.failures = 0  # in the current run
        self._unlogged = 0  # failures since the last line
        self._logged_at: float | None = None

    def failed(self, reason: str) -> None:
        """One attempt failed to connect, or lost its connection, for ``reason``."""
        self.failures += 1
        self._unlogged += 1
        now = self.monotonic()
        if self._logged_at is not None and now - self._logged_at < self.every:
            return
        if self.failures == 1:
            self.log.warning("%s; the message waits for a retry", reason)
        else:
            self.log.warning(
                "%s; still failing: %d failed attempts since the last warning, %d in all",
                reason,
                self._unlogged,
                self.failures,
            )
        self._logged_at, self._unlogged = now, 0

    def worked(self) -> None:
        """An attempt reached the server (whatever it answered)."""
        if self.failures:
            self.log.warning(
                "%s answers again after %d failed attempts", self.server, self.failures
            )
        self.failures, self._unlogged, self._logged_at = 0, 0, None
