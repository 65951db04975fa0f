"""Read-only figures across campaigns for the web app's dashboard: messages per channel,
conversions and revenue, bounce and complaint rates. Nothing here writes.

Times are the journeys' own ("now" is passed in: the fast clock's on a demo), so "today" is
the day the journeys are living through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum

from goteo.campaigns.delivery_kinds import TEST
from goteo.campaigns.models import Conversion, Delivery, DeliveryStatus
from goteo.contacts.models import ProviderEvent

RATE_WINDOW = timedelta(days=30)
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class ChannelCounts:
    channel: str
    today: int
    week: int


@dataclass(frozen=True)
class Rates:
    sent: int  # messages sent in the window
    bounced: int  # of those, how many bounced (hard or soft)
    complained: int  # and how many drew a complaint

    @property
    def bounce_rate(self) -> float:
        return self.bounced / self.sent if self.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complained / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class Earnings:
    conversions: int
    revenue: dict[str, Decimal]  # per currency


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def week_start(now: datetime) -> datetime:
    """Monday, 00:00, of the week ``now`` is in."""
    return day_start(now) - timedelta(days=now.weekday())


def messages_per_channel(now: datetime) -> list[ChannelCounts]:
    """Sent messages today and this week, per channel (every kind of delivery counts, but a
    test send)."""
    today, week = day_start(now), week_start(now)
    sent = Delivery.objects.filter(status=DeliveryStatus.SENT).exclude(kind=TEST)
    rows = (
        sent.filter(sent_at__gte=min(today, week), sent_at__lte=now)
        .values("channel")
        .annotate(
            week=Count("channel", filter=_since(week)),
            today=Count("channel", filter=_since(today)),
        )
        .order_by("channel")
    )
    return [ChannelCounts(r["channel"], r["today"], r["week"]) for r in rows]


def _since(moment: datetime) -> Q:
    return Q(sent_at__gte=moment)


def earnings(since: datetime | None = None) -> Earnings:
    conversions = Conversion.objects.all()
    if since is not None:
        conversions = conversions.filter(occurred_at__gte=since)
    revenue = {
        r["currency"]: Decimal(r["total"] or 0).quantize(CENTS)
        for r in conversions.filter(value__isnull=False)
        .values("currency")
        .annotate(total=Sum("value"))
        .order_by("currency")
    }
    return Earnings(conversions.count(), revenue)


def rates(now: datetime) -> Rates:
    """Bounces and complaints about the messages sent in the last 30 days."""
    window = Delivery.objects.filter(
        status=DeliveryStatus.SENT, sent_at__gte=now - RATE_WINDOW, sent_at__lte=now
    ).exclude(kind=TEST)
    events = ProviderEvent.objects.filter(delivery_id__in=window.values("id"))

    def about(kind: str) -> int:
        return events.filter(event_type=kind).values("delivery_id").distinct().count()

    return Rates(window.count(), about("bounced"), about("complained"))
