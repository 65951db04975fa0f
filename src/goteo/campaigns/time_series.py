"""Results over time: sends, opens, clicks, conversions and revenue per day and channel.

One grouped query per measure, each on its own indexed time column (``sent_at``,
``opened_at``, ``clicked_at``, the conversion's ``occurred_at``), for every campaign or one
(one campaign's messages are read from its own index, ``delivery_campaign_figures``).
Days are UTC days on the journeys' clock (``now`` is passed in). A conversion counts on the
channel of the message it is credited to; an unattributed one on ``none``. Nothing here
writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from goteo.campaigns.delivery_kinds import TEST
from goteo.campaigns.models import Conversion, Delivery, DeliveryStatus
from goteo.campaigns.moment_sql import UtcDay

MEASURES = ("sends", "opens", "clicks", "conversions")
UNATTRIBUTED = "none"
MAX_DAYS = 366


@dataclass
class DayFigures:
    day: date
    channel: str
    sends: int = 0
    opens: int = 0
    clicks: int = 0
    conversions: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)  # per currency


@dataclass(frozen=True)
class Series:
    first: date
    last: date
    rows: list[DayFigures]  # by day, then channel; days with nothing are left out

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def channels(self) -> list[str]:
        return sorted({r.channel for r in self.rows})

    def currencies(self) -> list[str]:
        return sorted({c for r in self.rows for c in r.revenue})

    def as_json(self) -> dict[str, Any]:
        """The figures for the charts: one list per day for each measure and channel."""
        days = self.days()
        index = {d: i for i, d in enumerate(days)}
        measures: dict[str, dict[str, list[float]]] = {}
        for name in (*MEASURES, *(f"revenue:{c}" for c in self.currencies())):
            measures[name] = {ch: [0] * len(days) for ch in self.channels()}
        for r in self.rows:
            i = index[r.day]
            for name in MEASURES:
                measures[name][r.channel][i] = getattr(r, name)
            for currency, total in r.revenue.items():
                measures[f"revenue:{currency}"][r.channel][i] = float(total)
        return {"days": [d.isoformat() for d in days], "measures": measures}


def daily_series(now: datetime, days: int, campaign_id: int | None = None) -> Series:
    """The last ``days`` days up to ``now`` (today included), all campaigns or one."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days: between 1 and {MAX_DAYS}")
    last = now.date()
    first = last - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    found: dict[tuple[date, str], DayFigures] = {}

    def at(day: date, channel: str) -> DayFigures:
        return found.setdefault((day, channel), DayFigures(day, channel))

    # Only a sent message has a send, open or click time: each query reads its own index.
    deliveries = Delivery.objects.exclude(kind=TEST)  # a test send counts nowhere
    if campaign_id is not None:
        deliveries = deliveries.filter(campaign_id=campaign_id)
    for measure, column in (("sends", "sent_at"), ("opens", "opened_at"), ("clicks", "clicked_at")):
        scope = deliveries.filter(status=DeliveryStatus.SENT) if measure == "sends" else deliveries
        rows = _per_day(scope, column, start, now).values("day", "channel")
        for row in rows.annotate(n=Count("*")).order_by():
            setattr(at(row["day"], row["channel"]), measure, row["n"])
    conversions = Conversion.objects.all()
    if campaign_id is not None:
        conversions = conversions.filter(campaign_id=campaign_id)
    credited = (
        _per_day(conversions, "occurred_at", start, now)
        .values("day", "delivery__channel", "currency")
        .annotate(n=Count("id"), total=Sum("value"))
        .order_by()
    )
    for row in credited:
        figures = at(row["day"], row["delivery__channel"] or UNATTRIBUTED)
        figures.conversions += row["n"]
        if row["total"] is not None:
            figures.revenue[row["currency"]] = Decimal(row["total"]).quantize(Decimal("0.01"))
    ordered = sorted(found.values(), key=lambda r: (r.day, r.channel))
    return Series(first, last, ordered)


def _per_day(query: Any, column: str, start: datetime, now: datetime) -> Any:
    return query.filter(**{f"{column}__gte": start, f"{column}__lte": now}).annotate(
        day=UtcDay(column)
    )
