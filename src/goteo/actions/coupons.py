"""Coupons: issue one code per (enrollment, step), show it to templates, redeem it on purchase.

``issue_coupon`` runs inside the scheduler's transaction, next to the delivery of the send step
that carries the coupon. It is idempotent: a second call for the same enrollment and step
returns the code issued the first time. Each attempt to write runs in a savepoint, so a clash
(another code with the same text, another worker issuing for the same step) never breaks the
caller's transaction.
"""

from __future__ import annotations

import csv
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Upper

from goteo.actions.errors import ActionError
from goteo.campaigns.models import Coupon
from goteo.contacts.event_facts import EventFact
from goteo.engine.coupon_spec import POOL_KEY, CouponSpec

log = logging.getLogger(__name__)
GENERATE_ATTEMPTS = 8


class CouponPoolEmpty(ActionError):
    """A send step draws from a pool that has no free code left."""

    def __init__(self, pool: str) -> None:
        self.pool = pool
        super().__init__(
            "the coupon pool is empty",
            {"pool": f"{pool!r} has no free code left: import more with goteo coupons import"},
        )


def issue_coupon(
    spec: CouponSpec,
    *,
    contact_id: int,
    campaign_id: int | None,
    enrollment_id: int | None,
    step_id: str,
    now: datetime,
) -> Coupon:
    """The contact's code for this step: the one already issued, or a new one."""
    if enrollment_id is not None:
        existing = _issued_for_step(enrollment_id, step_id)
        if existing is not None:
            return existing
    values: dict[str, Any] = {
        "contact_id": contact_id,
        "campaign_id": campaign_id,
        "enrollment_id": enrollment_id,
        "step_id": step_id,
        "issued_at": now,
        "expires_at": now + spec.expires_in if spec.expires_in else None,
    }
    if spec.percent_off is not None or spec.amount_off is not None:
        values.update(
            percent_off=spec.percent_off, amount_off=spec.amount_off, currency=spec.currency
        )
    if spec.pool:
        return _draw(spec.pool, values)
    return _generate(spec, values, now)


def _issued_for_step(enrollment_id: int, step_id: str) -> Coupon | None:
    return Coupon.objects.filter(enrollment_id=enrollment_id, step_id=step_id).first()


def new_code(spec: CouponSpec) -> str:
    """A fresh random code: the prefix, then ``length`` characters of the alphabet."""
    return spec.prefix + "".join(secrets.choice(spec.alphabet) for _ in range(spec.length))


def _generate(spec: CouponSpec, values: dict[str, Any], now: datetime) -> Coupon:
    for _ in range(GENERATE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Coupon.objects.create(code=new_code(spec), created_at=now, **values)
        except IntegrityError:
            # Either the code is taken (draw again) or the step was issued meanwhile.
            issued = _issued_by_other(values)
            if issued is not None:
                return issued
    raise ActionError(
        "could not generate a unique coupon code",
        {"coupon": f"{GENERATE_ATTEMPTS} codes in a row were taken: use a longer length"},
    )


def _issued_by_other(values: dict[str, Any]) -> Coupon | None:
    if values["enrollment_id"] is None:
        return None
    return _issued_for_step(values["enrollment_id"], values["step_id"])


def _draw(pool: str, values: dict[str, Any]) -> Coupon:
    """Take one free code of the pool; two concurrent draws never take the same one."""
    while True:
        try:
            with transaction.atomic():
                free = Coupon.objects.filter(pool=pool, contact__isnull=True).order_by("id")
                if connection.features.has_select_for_update_skip_locked:
                    free = free.select_for_update(skip_locked=True)
                coupon = free.first()
                if coupon is None:
                    raise CouponPoolEmpty(pool)
                # On SQLite the write lock is already ours; the condition is the last guard.
                taken = Coupon.objects.filter(id=coupon.id, contact__isnull=True).update(**values)
        except IntegrityError:
            issued = _issued_by_other(values)
            if issued is not None:
                return issued
            raise
        if taken:
            coupon.refresh_from_db()
            return coupon


def _plain_number(value: Decimal) -> str:
    """``10.00`` -> ``10``, ``12.50`` -> ``12.5``: how a percentage reads in a sentence."""
    return format(value.normalize(), "f")


def coupon_context(coupon: Coupon) -> dict[str, Any]:
    """The ``coupon`` values a template sees; a value the coupon lacks is left out.

    ``expires_at`` is the ISO 8601 moment (UTC), ``expires_on`` the date (``2026-03-12``),
    ``discount`` the discount as a reader sees it (``10%`` or ``5.00 EUR``).
    """
    context: dict[str, Any] = {"code": coupon.code}
    if coupon.expires_at is not None:
        context["expires_at"] = coupon.expires_at.isoformat()
        context["expires_on"] = coupon.expires_at.date().isoformat()
    if coupon.percent_off is not None:
        context["percent_off"] = _plain_number(Decimal(coupon.percent_off))
        context["discount"] = f"{context['percent_off']}%"
    if coupon.amount_off is not None:
        context["amount_off"] = f"{Decimal(coupon.amount_off):.2f}"
        context["currency"] = coupon.currency
        context["discount"] = f"{context['amount_off']} {coupon.currency}".strip()
    return context


def sample_coupon(spec: CouponSpec, at: datetime) -> dict[str, Any]:
    """A made-up code in the step's format, never stored, so a template that shows its coupon
    renders where nothing is sent (``goteo simulate``, the web app's preview)."""
    sample = Coupon(
        code=spec.pool.upper() + "-SAMPLE" if spec.pool else new_code(spec),
        expires_at=at + spec.expires_in if spec.expires_in else None,
        percent_off=spec.percent_off,
        amount_off=spec.amount_off,
        currency=spec.currency,
    )
    return {"coupon": coupon_context(sample)}


def conversion_event_names() -> frozenset[str]:
    """``GOTEO_CONVERSION_EVENTS``: the events that are purchases (``purchase`` by default)."""
    names = getattr(settings, "GOTEO_CONVERSION_EVENTS", None) or ["purchase"]
    return frozenset(names)


def coupon_code_of(fact: EventFact) -> str:
    """The code an event says was used (``properties.coupon``), stripped; "" for none."""
    code = fact.properties.get("coupon")
    return code.strip() if isinstance(code, str) else ""


def redeem_from_events(facts: list[EventFact], now: datetime) -> int:
    """Mark the coupons used by these purchases redeemed; returns how many were.

    A code is redeemed once, by a purchase of the contact it was issued to, made before it
    expired. Any other code is left as it is (logged with the reason); the purchase's
    conversion still records the code as given.
    """
    names = conversion_event_names()
    redeemed = 0
    for fact in facts:
        code = coupon_code_of(fact)
        if fact.name not in names or not code or fact.contact_id is None:
            continue
        reason = _redeem(fact, fact.contact_id, code)
        if reason:
            log.info("coupon %r not redeemed by event %s: %s", code, fact.id, reason)
        else:
            redeemed += 1
    return redeemed


def _redeem(fact: EventFact, contact_id: int, code: str) -> str:
    """Redeem ``code`` for ``fact``; returns why not, or "" when it was redeemed."""
    mine = Coupon.objects.filter(code__iexact=code, contact_id=contact_id).first()
    if mine is None:
        known = Coupon.objects.filter(code__iexact=code).exists()
        return "issued to another contact" if known else "unknown code"
    if mine.redeemed_at is not None:
        return f"already redeemed by event {mine.redeemed_event_id}"
    if mine.expires_at is not None and fact.occurred_at > mine.expires_at:
        return f"expired at {mine.expires_at.isoformat()}"
    updated = Coupon.objects.filter(id=mine.id, redeemed_at__isnull=True).update(
        redeemed_at=fact.occurred_at, redeemed_event_id=fact.id
    )
    return "" if updated else "already redeemed"


class Rejected(NamedTuple):
    line: int
    code: str
    reason: str


@dataclass
class ImportReport:
    pool: str
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)


CODE = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


def import_pool(pool: str, lines: Iterable[str], now: datetime) -> ImportReport:
    """Add codes to ``pool``: one per line, or a CSV file with a ``code`` column.

    A code that is malformed, repeated in the file or already stored (in any pool: codes are
    unique, without regard to case) is rejected with its line number; the others go in.
    """
    if not POOL_KEY.match(pool):
        raise ActionError("invalid pool", {"pool": f"{pool!r}: lowercase letters, digits, - or _"})
    report = ImportReport(pool)
    candidates: dict[str, tuple[int, str]] = {}
    for line, code in _read_codes(lines, report):
        first = candidates.get(code.upper())
        if first is not None:
            report.rejected.append(Rejected(line, code, f"repeats line {first[0]}"))
        else:
            candidates[code.upper()] = (line, code)
    keys = list(candidates)
    for start in range(0, len(keys), 500):
        taken = (
            Coupon.objects.annotate(upper=Upper("code"))
            .filter(upper__in=keys[start : start + 500])
            .values_list("upper", flat=True)
        )
        for key in taken:
            line, code = candidates.pop(key)
            report.rejected.append(Rejected(line, code, "already stored"))
    rows = [Coupon(code=code, pool=pool, created_at=now) for _, code in candidates.values()]
    try:
        with transaction.atomic():
            Coupon.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:
        raise ActionError(
            "codes were stored by someone else meanwhile", {"file": "import it again"}
        ) from None
    report.imported = len(rows)
    report.rejected.sort()
    return report


def _read_codes(lines: Iterable[str], report: ImportReport) -> Iterable[tuple[int, str]]:
    reader = csv.reader(line.lstrip("\ufeff") for line in lines)
    column: int | None = None
    for row in reader:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if column is None:
            lowered = [cell.lower() for cell in cells]
            if "code" in lowered:
                column = lowered.index("code")
                continue
            column = 0
        code = cells[column] if column < len(cells) else ""
        if not CODE.match(code):
            why = "4 to 64 letters, digits, '-' or '_'"
            report.rejected.append(Rejected(reader.line_num, code, f"not a code: {why}"))
            continue
        yield reader.line_num, code


def pool_counts(pool: str | None, now: datetime) -> list[dict[str, Any]]:
    """Per pool ("" for generated codes): free, issued (and still usable), redeemed, expired."""
    unredeemed = Q(issued_at__isnull=False, redeemed_at__isnull=True)
    expired = Q(expires_at__lt=now)
    rows = Coupon.objects.all() if pool is None else Coupon.objects.filter(pool=pool)
    counted = (
        rows.values("pool")
        .annotate(
            free=Count("id", filter=Q(issued_at__isnull=True)),
            issued=Count("id", filter=unredeemed & ~expired),
            redeemed=Count("id", filter=Q(redeemed_at__isnull=False)),
            expired=Count("id", filter=unredeemed & expired),
        )
        .order_by("pool")
    )
    return [dict(row) for row in counted]
