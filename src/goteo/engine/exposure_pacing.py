"""Exposure pacing: a campaign's target of touches, spread evenly over its period and across
its channels (``pacing: {exposures: 29, within: 90d, channels: [email, mail, sms]}``).

Not the frequency cap (``engine/pacing.py``): that one limits every campaign's messages at
send time, and the worker's gate still enforces it and quiet hours. This module plans a paced
campaign's *next* touch; when the gate defers one, the plan adapts at the next look.

Pure: the caller passes "now", when the touches began and what the ledger says so far.

- The k-th exposure (counting from 0) is due ``began + k * within / exposures``: 29 in 90
  days is one every 3 days 2 hours, the first at once, the last at day 86.9.
- Counted exposures are this journey's touches recorded in the ledger plus every other
  exposure of the contact since the touches began (other campaigns, product-page visits): a
  contact who saw the product elsewhere needs fewer touches from this campaign.
- A touch that failed (or was suppressed) used its slot: the next one keeps to the pace
  instead of following at once.
- A touch still waiting in the outbox (deferred by the cap or quiet hours) holds the next one
  back; once it has gone, a journey that fell behind sends its next touch at once.
- The channel is the allowed one the contact can receive that this journey used least; ties
  go to the order written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from goteo.engine.durations import format_duration

PACED_CHANNELS = ("email", "mail", "sms")
ON_PACE, AHEAD, BEHIND = "on pace", "ahead", "behind"
# How long after a waiting touch's due time the plan looks again.
RECHECK = timedelta(minutes=1)


@dataclass(frozen=True)
class ExposurePacing:
    """``exposures`` touches within ``within``, on ``channels`` (in rotation)."""

    exposures: int
    within: timedelta
    channels: tuple[str, ...]

    @property
    def spacing(self) -> timedelta:
        """The time between two exposures, in whole seconds."""
        return timedelta(seconds=int(self.within.total_seconds()) // self.exposures)

    def expected(self, began: datetime, now: datetime) -> float:
        """How many exposures an even pace has reached by ``now``."""
        share = (now - began) / self.within
        return self.exposures * min(1.0, max(0.0, share))

    def __str__(self) -> str:
        channels = ", ".join(self.channels)
        return f"{self.exposures} exposures within {format_duration(self.within)} ({channels})"


@dataclass(frozen=True)
class PaceFacts:
    """What the store knows of one paced journey (the simulator assumes every touch lands)."""

    reachable: frozenset[str]  # the channels the contact can receive
    delivered: int = 0  # this journey's touches recorded in the exposure ledger
    others: int = 0  # the contact's other exposures since the touches began
    waiting_until: datetime | None = None  # a touch of this journey still in the outbox
    failed: int = 0  # this journey's touches that failed or were suppressed: they used a slot

    @property
    def counted(self) -> int:
        return self.delivered + self.others


@dataclass(frozen=True)
class Touch:
    """Send on ``channel`` at ``at`` (now, or the moment to look again)."""

    at: datetime
    channel: str


@dataclass(frozen=True)
class Finished:
    """No more touches: the target was met, the period ended, or no channel reaches them."""

    reason: str


@dataclass(frozen=True)
class Standing:
    expected: float
    actual: int
    status: str  # ON_PACE, AHEAD or BEHIND


def next_channel(
    channels: Sequence[str], reachable: frozenset[str], sent: Mapping[str, int]
) -> str | None:
    """The allowed channel the contact can receive that was used least (None: none can)."""
    usable = [c for c in channels if c in reachable]
    if not usable:
        return None
    return min(usable, key=lambda c: (sent.get(c, 0), channels.index(c)))


def plan_touch(
    pacing: ExposurePacing,
    began: datetime,
    now: datetime,
    facts: PaceFacts,
    sent: Mapping[str, int],
) -> Touch | Finished:
    """The next touch (at ``now``: send it; later: look again then), or why there is none."""
    counted, target = facts.counted, pacing.exposures
    end = began + pacing.within
    if counted >= target:
        return Finished(f"pacing target met: {counted} of {target} exposures")
    if now >= end:
        return Finished(
            f"pacing period over: {counted} of {target} exposures "
            f"in {format_duration(pacing.within)}"
        )
    channel = next_channel(pacing.channels, facts.reachable, sent)
    if channel is None:
        allowed = ", ".join(pacing.channels)
        return Finished(f"pacing stopped: the contact can receive none of {allowed}")
    at = max(now, began + pacing.spacing * (counted + facts.failed))
    if facts.waiting_until is not None:  # never two of this journey's touches in the outbox
        at = max(at, facts.waiting_until) + RECHECK
    return Touch(min(at, end), channel)


def standing(pacing: ExposurePacing, began: datetime, now: datetime, actual: int) -> Standing:
    """On pace within one exposure of an even pace; ahead or behind by more."""
    expected = pacing.expected(began, now)
    status = ON_PACE
    if actual > expected + 1:
        status = AHEAD
    elif actual < expected - 1:
        status = BEHIND
    return Standing(round(expected, 1), actual, status)


def max_under_cap(within: timedelta, count: int, period: timedelta) -> int:
    """The most messages a frequency cap of ``count`` per ``period`` lets through in
    ``within``: ``count`` in each started period."""
    periods = -(-within // period)  # ceiling division of timedeltas
    return count * periods
