"""The channel protocol: thin providers on a fat base.

The worker owns this interface. A channel takes one ready message at a time (keeping its
connection open between calls) and answers with a typed result: delivered, retryable (try again
later) or permanent (never retry). The worker records each result as soon as it has it, so a
crash can leave at most the one in-flight message per connection unrecorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered email, ready to be assembled and sent."""

    delivery_id: int
    message_id: str  # deterministic: the same delivery always carries the same Message-ID
    from_addr: str  # "Name <addr>" or "addr"
    to_addr: str
    to_name: str
    subject: str
    html: str
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # The envelope sender (bounces come back to it); the From address when empty.
    return_path: str = ""
    # Marketing messages with click tracking: the original URLs, in the order their tracking
    # links name them (saved on the delivery, so a redirect only goes where the message did).
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivered:
    delivery_id: int
    detail: str = ""


@dataclass(frozen=True)
class Retryable:
    delivery_id: int
    reason: str


@dataclass(frozen=True)
class Permanent:
    delivery_id: int
    reason: str


Result = Delivered | Retryable | Permanent


class EmailChannel(Protocol):
    name: str
    capabilities: frozenset[str]

    def send(self, message: OutgoingEmail) -> Result:
        """Send one message. Never raises for a delivery problem: it returns a result."""
        ...

    def close(self) -> None:
        """Release connections; the channel may be used again afterwards (it reconnects)."""
        ...
