"""Conversions: each purchase of a known contact, with its value, credited to one last touch.

The rule (docs/measurement.md), looking back from the event over ``GOTEO_ATTRIBUTION_WINDOW``:

1. a coupon issued by a campaign step and redeemed by this very event credits that step;
2. else the most recent click on a campaign message;
3. else the most recent open of one;
4. else the most recent campaign message sent;
5. else nobody: the conversion is stored unattributed (it still counts as revenue).

Run ``goteo.actions.coupons.redeem_from_events`` first, in the same transaction, so rule 1
sees the redemption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q

from goteo import measurement_config
from goteo.actions.coupons import conversion_event_names, coupon_code_of
from goteo.bulk_sql import insert_rows, select_in
from goteo.campaigns.models import Conversion, Coupon, Delivery, DeliveryStatus
from goteo.contacts.event_facts import EventFact
from goteo.contacts.event_store import db_moment
from goteo.contacts.models import Event
from goteo.engine.coupon_spec import CURRENCY

MAX_VALUE = Decimal("999999999999.99")  # what the conversion table holds


@dataclass(frozen=True)
class Touch:
    kind: str  # coupon | click | open | send
    delivery_id: int | None
    campaign_id: int | None
    enrollment_id: int | None
    step_id: str
    at: datetime


def attribution_window() -> timedelta:
    return measurement_config.attribution_window(getattr(settings, "GOTEO_ATTRIBUTION_WINDOW", ""))


def default_currency() -> str:
    return measurement_config.default_currency(getattr(settings, "GOTEO_DEFAULT_CURRENCY", ""))


def attribute_conversions(facts: list[EventFact], now: datetime) -> int:
    """Write one Conversion per new conversion event of a known contact; returns how many.

    The touches of the whole batch are read in a few queries (not per purchase), so a batch
    of events with many purchases costs about as much as one with a few.
    """
    names = conversion_event_names()
    wanted = [f for f in facts if f.name in names and f.contact_id is not None]
    if not wanted:
        return 0
    window, currency = attribution_window(), default_currency()
    table = Conversion._meta.db_table
    done = {
        int(found)
        for (found,) in select_in(
            f"SELECT event_id FROM {table} WHERE event_id IN ({{values}})", (f.id for f in wanted)
        )
    }
    wanted = [f for f in wanted if f.id not in done]
    if not wanted:
        return 0
    touches = _Touches(wanted, window)
    prepare = _Preparer()
    rows = [_conversion(f, touches.last(f), currency, prepare) for f in wanted]
    insert_rows(Conversion._meta.db_table, CONVERSION_COLUMNS, rows, "ON CONFLICT DO NOTHING")
    return len(rows)


CONVERSION_COLUMNS = (
    "contact_id",
    "event_id",
    "name",
    "value",
    "currency",
    "campaign_id",
    "enrollment_id",
    "delivery_id",
    "step_id",
    "touch",
    "coupon_code",
    "occurred_at",
)


class _Preparer:
    """Values as the database takes them (the value is already quantized to cents)."""

    def __init__(self) -> None:
        self.sqlite = connection.vendor == "sqlite"

    def __call__(self, value: Decimal | None, when: datetime) -> tuple[Any, Any]:
        stored = None if value is None else (f"{value:f}" if self.sqlite else value)
        return stored, db_moment(when, self.sqlite)


def _conversion(
    fact: EventFact, touch: Touch | None, currency: str, prepare: _Preparer
) -> tuple[Any, ...]:
    assert fact.contact_id is not None
    value = event_value(fact.properties)
    given = fact.properties.get("currency")
    code = given.strip().upper() if isinstance(given, str) else ""
    stored_value, when = prepare(value, fact.occurred_at)
    return (
        fact.contact_id,
        fact.id,
        fact.name,
        stored_value,
        (code if CURRENCY.match(code) else currency) if value is not None else "",
        touch.campaign_id if touch else None,
        touch.enrollment_id if touch else None,
        touch.delivery_id if touch else None,
        touch.step_id if touch else "",
        touch.kind if touch else "",
        coupon_code_of(fact)[:64],
        when,
    )


def event_value(properties: Any) -> Decimal | None:
    """``properties.value`` (or ``revenue``) as a decimal of cents; None if absent or not one."""
    raw = properties.get("value", properties.get("revenue"))
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        value = Decimal(str(raw).strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return value if value.is_finite() and abs(value) <= MAX_VALUE else None


DELIVERY_FIELDS = (
    "id",
    "contact_id",
    "campaign_id",
    "enrollment_id",
    "step_id",
    "sent_at",
    "opened_at",
    "clicked_at",
)
_TRACKED = {"clicked": "click", "opened": "open"}


def _ever_sent(contacts: set[int], latest: datetime) -> set[int]:
    """Those of ``contacts`` who were sent a campaign message before ``latest``."""
    table = Delivery._meta.db_table
    moment = Delivery._meta.get_field("sent_at").get_db_prep_value(latest, connection)
    sql = (
        f"SELECT DISTINCT contact_id FROM {table} WHERE contact_id IN ({{values}})"
        " AND campaign_id IS NOT NULL AND status = %s AND sent_at <= %s"
    )
    return {int(c) for (c,) in select_in(sql, contacts, DeliveryStatus.SENT.value, moment)}


RECORDED = (("click", "clicked_at"), ("open", "opened_at"), ("send", "sent_at"))


class _Touches:
    """Every touch that may be credited for a batch of conversion events, read at once:
    the coupons they redeemed, the contacts' campaign messages (sent, opened, clicked) and
    the tracked opens and clicks within the window."""

    def __init__(self, facts: list[EventFact], window: timedelta) -> None:
        self.window = window
        contacts = {f.contact_id for f in facts if f.contact_id is not None}
        earliest = min(f.occurred_at for f in facts) - window
        latest = max(f.occurred_at for f in facts)
        self.coupons = self._coupons([f.id for f in facts])
        self.deliveries: dict[int, dict[str, Any]] = {}
        self.engagement: dict[int, dict[str, list[tuple[datetime, int]]]] = {}
        # Only contacts who were ever sent a campaign message have a click, open or send to
        # credit (a purchase from someone never emailed is common, and needs no more reads).
        contacts = _ever_sent(contacts, latest)
        if not contacts:
            return
        sent = Delivery.objects.filter(
            contact_id__in=contacts,
            campaign_id__isnull=False,
            status=DeliveryStatus.SENT,
            sent_at__lte=latest,
        )
        recent = Q(sent_at__gte=earliest) | Q(opened_at__gte=earliest) | Q(clicked_at__gte=earliest)
        self.deliveries = {d["id"]: d for d in sent.filter(recent).values(*DELIVERY_FIELDS)}
        tracked = list(
            Event.objects.filter(
                contact_id__in=contacts,
                name__in=tuple(_TRACKED),
                delivery_id__isnull=False,
                occurred_at__gte=earliest,
                occurred_at__lte=latest,
            ).values_list("contact_id", "name", "occurred_at", "delivery_id")
        )
        missing = {int(t[3]) for t in tracked if t[3] is not None} - set(self.deliveries)
        if missing:  # clicked within the window, sent before it
            for d in sent.filter(id__in=missing).values(*DELIVERY_FIELDS):
                self.deliveries[d["id"]] = d
        # contact -> kind -> [(when, delivery id)]
        for contact_id, name, when, delivery_id in tracked:
            if delivery_id is not None and delivery_id in self.deliveries:
                self._add(contact_id, _TRACKED[name], when, int(delivery_id))
        for d in self.deliveries.values():
            for kind, field in (
                ("click", "clicked_at"),
                ("open", "opened_at"),
                ("send", "sent_at"),
            ):
                if d[field] is not None:
                    self._add(d["contact_id"], kind, d[field], d["id"])

    def _add(self, contact_id: int, kind: str, when: datetime, delivery_id: int) -> None:
        self.engagement.setdefault(contact_id, {}).setdefault(kind, []).append((when, delivery_id))

    def _coupons(self, event_ids: list[int]) -> dict[int, Touch]:
        """Redeemed coupons issued by a campaign step, by the event that redeemed them."""
        coupons = list(
            Coupon.objects.filter(redeemed_event_id__in=event_ids, campaign_id__isnull=False)
            .exclude(step_id="")
            .values("redeemed_event_id", "contact_id", "campaign_id", "enrollment_id", "step_id")
        )
        steps = Delivery.objects.filter(
            enrollment_id__in={c["enrollment_id"] for c in coupons if c["enrollment_id"]},
            step_id__in={c["step_id"] for c in coupons},
        ).values_list("enrollment_id", "step_id", "id")
        delivery_of = {(e, s): i for e, s, i in steps}
        return {
            int(c["redeemed_event_id"] or 0): Touch(
                "coupon",
                delivery_of.get((c["enrollment_id"], c["step_id"])),
                c["campaign_id"],
                c["enrollment_id"],
                c["step_id"],
                datetime.min,
            )
            for c in coupons
        }

    def last(self, fact: EventFact) -> Touch | None:
        """The touch credited with ``fact`` (the rule in this module's docstring)."""
        coupon = self.coupons.get(fact.id)
        if coupon is not None:
            return Touch(
                coupon.kind,
                coupon.delivery_id,
                coupon.campaign_id,
                coupon.enrollment_id,
                coupon.step_id,
                fact.occurred_at,
            )
        assert fact.contact_id is not None
        mine = self.engagement.get(fact.contact_id, {})
        since, at = fact.occurred_at - self.window, fact.occurred_at
        for kind in ("click", "open", "send"):
            inside = [t for t in mine.get(kind, []) if since <= t[0] <= at]
            if inside:
                when, delivery_id = max(inside)
                d = self.deliveries[delivery_id]
                return Touch(
                    kind, delivery_id, d["campaign_id"], d["enrollment_id"], d["step_id"], when
                )
        return None
