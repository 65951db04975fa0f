"""The worker's heartbeat: one settings row saying which worker last passed through its loop
and when (real time), written at most every few seconds. The dashboard reads it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from goteo.campaigns.models import Setting

KEY = "worker_heartbeat"
EVERY = 5.0  # real seconds between writes


@dataclass(frozen=True)
class Beat:
    worker: str
    at: datetime  # real time, never the fast clock's


@dataclass
class Heartbeat:
    name: str
    every: float = EVERY
    monotonic: Callable[[], float] = field(default=time.monotonic, repr=False)
    _at: float | None = field(default=None, init=False, repr=False)

    def beat(self) -> None:
        """Called after each pass; writes only when ``every`` seconds have gone by."""
        t = self.monotonic()
        if self._at is not None and t - self._at < self.every:
            return
        value = json.dumps({"worker": self.name, "at": datetime.now(UTC).isoformat()})
        Setting.objects.update_or_create(key=KEY, defaults={"value": value})
        self._at = t


def last_beat() -> Beat | None:
    value = Setting.objects.filter(key=KEY).values_list("value", flat=True).first()
    if value is None:
        return None
    data = json.loads(value)
    return Beat(str(data["worker"]), datetime.fromisoformat(data["at"]))
