"""One SMS ready to send, and what a sender (Twilio, a test double) must do with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from goteo.channels.base import Result


@dataclass(frozen=True)
class OutgoingSms:
    delivery_id: int
    to: str  # E.164
    body: str
    segments: int
    # Where the provider reports delivered / failed later ("" when there is no web server).
    status_callback: str = ""


class SmsSender(Protocol):
    name: str
    receipts: bool  # the provider reports delivered / failed later (status callbacks)

    def send(self, sms: OutgoingSms) -> Result:
        """Send one message; never raises for a delivery problem."""
        ...

    def close(self) -> None: ...
