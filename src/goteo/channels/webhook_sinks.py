"""Webhook providers that keep the calls instead of posting them: the test doubles.

``memory:`` keeps every call in this process (``MEMORY.calls``); ``folder:/path`` writes each
one as ``<idempotency key>.json`` (the body) in that folder, so a repeat after a crash
replaces its own file, as a receiver that honours idempotency keys would.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from goteo.channels.base import Delivered, Result
from goteo.channels.webhook import WebhookCall, idempotency_key


@dataclass
class MemorySink:
    calls: list[WebhookCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, call: WebhookCall, secret: str) -> Result:
        with self._lock:
            self.calls.append(call)
        return Delivered(call.delivery_id, "kept in memory")

    def keys(self) -> set[str]:
        """The distinct idempotency keys received: what an honouring receiver acted on."""
        return {idempotency_key(c.delivery_id) for c in self.calls}


MEMORY = MemorySink()


@dataclass
class FolderSink:
    folder: Path

    def __call__(self, call: WebhookCall, secret: str) -> Result:
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{idempotency_key(call.delivery_id)}.json"
        partial = final.with_suffix(".part")
        partial.write_bytes(call.body)
        os.replace(partial, final)  # whole or not at all
        return Delivered(call.delivery_id, f"written to {final}")
