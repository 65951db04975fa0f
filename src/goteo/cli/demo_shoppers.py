"""The demo's contacts buying the course: each planned purchase (``goteo.demo.shoppers``) is
sent, once the contact has had that many exposures, as a ``purchase`` event through the same
check and action as the events API, at the journeys' time (the demo's fast clock)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from goteo.actions.events import check_events, do_record_events
from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_counts import load_exposures
from goteo.contacts.models import Contact
from goteo.demo.shoppers import SEED, Purchase, planned_purchase

PRODUCT = "drip-101-course"


class Shoppers:
    """The demo contacts still to buy; ``step()`` records the purchases now due."""

    def __init__(self, emails: Iterable[str], seed: str = SEED) -> None:
        self.waiting: dict[int, tuple[str, Purchase]] = {}
        contacts = Contact.objects.filter(email__in=list(emails))
        for contact_id, email, address in contacts.values_list("id", "email", "postal_address"):
            country = str((address or {}).get("country", ""))
            if (purchase := planned_purchase(email, country, seed)) is not None:
                self.waiting[contact_id] = (email, purchase)

    def step(self) -> int:
        """Record the purchase of every waiting contact with enough exposures by now; returns
        how many were due. A purchase already recorded (a restarted demo) is not repeated."""
        if not self.waiting:
            return 0
        now = journey_clock.now()
        seen = load_exposures(self.waiting, None, now)
        due = [
            contact_id
            for contact_id, (_, purchase) in self.waiting.items()
            if len(seen.get(contact_id, ())) >= purchase.after_exposures
        ]
        if not due:
            return 0
        inputs, errors = check_events([_event(*self.waiting[c]) for c in due], now)
        if errors:  # the demo's own events: a refusal is a defect, never to be skipped over
            raise ValueError(f"the demo's purchases were refused: {errors}")
        do_record_events([i for i in inputs if i is not None], now)
        for contact_id in due:
            del self.waiting[contact_id]
        return len(due)


def _event(email: str, purchase: Purchase) -> dict[str, Any]:
    """The purchase as the shop would send it to ``POST /api/v1/events``."""
    return {
        "name": "purchase",
        "email": email,
        "properties": {
            "value": f"{purchase.value:.2f}",
            "currency": purchase.currency,
            "product": PRODUCT,
            "quantity": purchase.seats,
        },
        "idempotency_key": f"demo-purchase-{email}",
    }
