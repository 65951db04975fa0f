"""Opens and clicks of marketing email: counted on the delivery (and on its exposure, in the
ledger) and recorded as events.

An open adds one to ``Delivery.opens`` each time the pixel loads and records one ``opened``
event per delivery (its idempotency key names the delivery). A click adds to ``clicks``,
records a ``clicked`` event with the URL and the link's index, and also counts as the open
when none was seen yet (images are often blocked, links rarely are). A mailer's QR code or
personal URL followed is also an exposure of its own (``qr_visit``, once per mailer).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When
from django.db.models.functions import Coalesce

from goteo.actions.events import EventInput, do_record_events
from goteo.campaigns.exposures import record_engagement, record_qr_visit
from goteo.campaigns.models import Delivery
from goteo.content.links import trackable
from goteo.engine.exposure_words import MAIL


def opened_key(delivery_id: int) -> str:
    """The idempotency key of a delivery's one ``opened`` event."""
    return f"goteo:opened:{delivery_id}"


def do_record_open(delivery_id: int, now: datetime) -> bool:
    """Count one open of the delivery; False when there is no such delivery."""
    with transaction.atomic():
        contact_id = _contact_of(delivery_id)
        if contact_id is None:
            return False
        Delivery.objects.filter(id=delivery_id).update(
            opens=F("opens") + 1, opened_at=Coalesce(F("opened_at"), Value(now))
        )
        record_engagement(delivery_id, contact_id, now, clicked=False)
        do_record_events([_opened(delivery_id, contact_id)], now)
    return True


def do_record_click(
    delivery_id: int, index: int, now: datetime, source: str = "email"
) -> str | None:
    """Record a click on link ``index`` and return its stored URL.

    ``source`` is the channel the click came through: ``email``, or ``mail`` for a mailer's
    QR code or personal URL (link 0 of a mailer is its step's landing page).

    None, and nothing recorded, when the delivery does not exist or stored no such link: the
    caller must then not redirect anywhere.
    """
    with transaction.atomic():
        row = Delivery.objects.filter(id=delivery_id).values("contact_id", "links").first()
        if row is None:
            return None
        url = stored_link(row["links"], index)
        if url is None:
            return None
        Delivery.objects.filter(id=delivery_id).update(
            clicks=F("clicks") + 1,
            clicked_at=Coalesce(F("clicked_at"), Value(now)),
            # A click proves the message was opened: count that open if none was seen. Every
            # SET of one UPDATE reads the row as it was, so this sees the old opened_at.
            opens=Case(
                When(opened_at__isnull=True, then=F("opens") + 1),
                default=F("opens"),
                output_field=PositiveIntegerField(),
            ),
            opened_at=Coalesce(F("opened_at"), Value(now)),
        )
        record_engagement(delivery_id, row["contact_id"], now, clicked=True)
        clicked = EventInput(
            name="clicked",
            contact_id=row["contact_id"],
            properties={"url": url, "link": index},
            source=source,
            delivery_id=delivery_id,
        )
        do_record_events([_opened(delivery_id, row["contact_id"], source), clicked], now)
        if source == MAIL:  # a mailer's QR code or personal URL: an exposure of its own
            record_qr_visit(delivery_id, now)
    return url


def stored_link(links: object, index: int) -> str | None:
    """Link ``index`` of a delivery's stored list, if there is one and it is a web address."""
    if not isinstance(links, list) or not 0 <= index < len(links):
        return None
    url = links[index]
    return url if isinstance(url, str) and trackable(url) else None


def _contact_of(delivery_id: int) -> int | None:
    row = Delivery.objects.filter(id=delivery_id).values_list("contact_id", flat=True).first()
    return None if row is None else int(row)


def _opened(delivery_id: int, contact_id: int, source: str = "email") -> EventInput:
    return EventInput(
        name="opened",
        contact_id=contact_id,
        source=source,
        delivery_id=delivery_id,
        idempotency_key=opened_key(delivery_id),
    )
