"""What a campaign asks of its channels: each send step needs its channel, and a campaign that
waits for or branches on opens and clicks needs channels that can track them.

The capability names are the vocabulary every channel declares (``goteo.channels.base``
imports them from here). Whether the configuration offers them is the caller's question:
``validate`` and ``apply`` pass a ``ChannelCheck`` (``goteo.channels.registry``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from goteo.engine.model import Campaign
from goteo.engine.needs import event_needs
from goteo.engine.steps import SendStep, TouchStep

TRACKING = "tracking"  # opens and clicks come back as events (``wait_for: {event: opened}``)
ATTACHMENTS = "attachments"
IDEMPOTENCY_KEY = "idempotency_key"  # the receiver drops a repeat: no duplicate after a crash
DELIVERY_RECEIPTS = "delivery_receipts"  # the provider reports delivery or failure later
CAPABILITIES = (TRACKING, ATTACHMENTS, IDEMPOTENCY_KEY, DELIVERY_RECEIPTS)

CHANNELS = ("email", "mail", "sms", "social")  # what a send step can name
TRACKED_EVENTS = frozenset(("opened", "clicked"))


@dataclass(frozen=True)
class ChannelNeed:
    path: str  # ``steps[3].send``
    channel: str
    capabilities: frozenset[str]


class ChannelCheck(Protocol):
    def __call__(self, channel: str, wanted: frozenset[str]) -> str | None:
        """A problem (``no SMS provider configured …``) when the configuration lacks the
        channel or a capability ``wanted`` of it; else None."""
        ...

    def account(self, channel: str, name: str) -> str | None:
        """A problem when the channel has no account ``name`` (a social step's); else None."""
        ...


def channel_needs(campaign: Campaign) -> Iterator[ChannelNeed]:
    """One need per send step (one per channel of a touch step), in document order."""
    tracked = bool(event_needs(campaign).names & TRACKED_EVENTS)
    wanted = frozenset({TRACKING}) if tracked else frozenset()
    for i, step in enumerate(campaign.steps):
        if isinstance(step, SendStep):
            yield ChannelNeed(f"steps[{i}].send", step.channel, wanted)
        elif isinstance(step, TouchStep):
            for channel in step.templates:
                yield ChannelNeed(f"steps[{i}].touch.{channel}", channel, wanted)
