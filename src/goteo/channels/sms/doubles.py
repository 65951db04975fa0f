"""SMS senders that keep the messages instead of sending them: the shipped test doubles.

``memory:`` keeps every message in this process (``MEMORY.sent``); ``folder:/path`` writes
each one as ``goteo-sms-<delivery id>.json`` in that folder (a repeat replaces its own file),
which ``FolderSms.kept`` reads back (the outbox page lists them).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from goteo.channels.base import Delivered, Result
from goteo.channels.sms.message import OutgoingSms


@dataclass
class MemorySms:
    name: str = "memory"
    receipts: bool = False  # kept at once: no later report
    sent: list[OutgoingSms] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, sms: OutgoingSms) -> Result:
        with self._lock:
            self.sent.append(sms)
        return Delivered(sms.delivery_id, f"memory-{sms.delivery_id}")

    def to(self, phone: str) -> list[OutgoingSms]:
        return [s for s in self.sent if s.to == phone]

    def close(self) -> None:
        pass


MEMORY = MemorySms()


PREFIX = "goteo-sms-"


@dataclass
class FolderSms:
    folder: Path
    name: str = "folder"
    receipts: bool = False

    def send(self, sms: OutgoingSms) -> Result:
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{PREFIX}{sms.delivery_id}.json"
        partial = final.with_suffix(".part")
        partial.write_text(json.dumps(asdict(sms), ensure_ascii=False, indent=2), "utf-8")
        os.replace(partial, final)  # whole or not at all
        return Delivered(sms.delivery_id, f"written to {final}")

    def kept(self, limit: int) -> list[OutgoingSms]:
        """The messages written here, newest delivery first, at most ``limit``."""

        def delivery(path: Path) -> int:
            number = path.stem.removeprefix(PREFIX)
            return int(number) if number.isdigit() else -1

        found: list[OutgoingSms] = []
        for path in sorted(self.folder.glob(f"{PREFIX}*.json"), key=delivery, reverse=True):
            if len(found) == limit:
                break
            try:
                found.append(OutgoingSms(**json.loads(path.read_text("utf-8"))))
            except (OSError, ValueError, TypeError):
                continue  # a file that is not one of ours
        return found

    def close(self) -> None:
        pass
