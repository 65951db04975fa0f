"""How the outbox stands at a moment: what is due and how late, and what waits until when.

Read by the worker's progress line and by ``goteo worker --until-idle``; nothing here writes.
A message "postponed" is one put off without using an attempt (quiet hours, a frequency cap, a
domain limit, a provider's throttle answer: its last error starts with ``postponed:``); any
other pending message due later waits for a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q

from goteo.campaigns.models import Delivery, DeliveryStatus, Enrollment, EnrollmentStatus

# Messages a worker may send now or later: of no campaign (system messages) or an active one.
SENDABLE = Q(campaign__isnull=True) | Q(campaign__status="active")
POSTPONED = Q(last_error__startswith="postponed:")


@dataclass(frozen=True)
class Backlog:
    """Pending messages due now, and when the oldest of them came due."""

    due: int
    oldest: datetime | None

    def lag(self, now: datetime) -> timedelta:
        """How far behind the outbox is: the oldest due message's wait so far."""
        if self.oldest is None:
            return timedelta(0)
        return max(now - self.oldest, timedelta(0))


def backlog(now: datetime) -> Backlog:
    row = Delivery.objects.filter(
        SENDABLE, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).aggregate(due=Count("id"), oldest=Min("next_attempt_at"))
    return Backlog(row["due"], row["oldest"])


@dataclass(frozen=True)
class Waiting:
    """What is left once nothing is due: messages and journeys due later."""

    retrying: int = 0  # messages waiting for a retry after a temporary failure
    next_retry: datetime | None = None
    postponed: int = 0  # put off without an attempt (pacing, domain limits, throttling)
    next_postponed: datetime | None = None
    held: int = 0  # pending messages of paused campaigns: they wait for a resume
    journeys: int = 0  # active journeys whose next step is due later
    next_step: datetime | None = None

    @property
    def messages(self) -> int:
        """Messages that will come due by themselves (retries and postponed ones)."""
        return self.retrying + self.postponed

    @property
    def next_message(self) -> datetime | None:
        """When the first of those comes due."""
        times = [t for t in (self.next_retry, self.next_postponed) if t is not None]
        return min(times, default=None)


def waiting(now: datetime) -> Waiting:
    later = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    sendable_later = SENDABLE & Q(next_attempt_at__gt=now)
    row = later.aggregate(
        retrying=Count("id", filter=sendable_later & ~POSTPONED),
        next_retry=Min("next_attempt_at", filter=sendable_later & ~POSTPONED),
        postponed=Count("id", filter=sendable_later & POSTPONED),
        next_postponed=Min("next_attempt_at", filter=sendable_later & POSTPONED),
        held=Count("id", filter=~SENDABLE),
    )
    steps = Enrollment.objects.filter(
        status=EnrollmentStatus.ACTIVE, due_at__gt=now, campaign__status="active"
    ).aggregate(journeys=Count("id"), next_step=Min("due_at"))
    return Waiting(**row, **steps)
