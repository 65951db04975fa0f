"""The channel protocol: thin providers on a fat base.

The worker owns this interface. A channel takes a batch of ready messages and answers with one
typed result per message: delivered, retryable (try again later) or permanent (never retry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    def send_batch(self, messages: Sequence[OutgoingEmail]) -> list[Result]:
        """Send each message; one result per message, in order. Never raises for one bad message."""
        ...

    def close(self) -> None: ...
