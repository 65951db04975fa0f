"""What the store knows of paced journeys (docs/exposure-pacing.md): the channels each contact
can receive, its journey's touches in the ledger and in the outbox, and its other exposures.

Three queries for a whole batch, whatever its size; nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goteo.campaigns.models import Delivery, DeliveryStatus, Exposure
from goteo.contacts.channel_consent import sms_refusal
from goteo.contacts.models import Contact
from goteo.contacts.postal import usable_address
from goteo.engine.exposure_pacing import PaceFacts
from goteo.engine.exposure_words import EMAIL, MAIL, SMS


@dataclass(frozen=True)
class PacedJourney:
    enrollment_id: int
    contact_id: int
    began: datetime  # when the journey reached its touch step
    step_id: str  # the touch step: its messages are ``<step id>.<n>``
    until: datetime | None = None  # other exposures count until then (None: now)


def reachable(row: Mapping[str, Any]) -> frozenset[str]:
    """The paced channels a contact row (email, phone, sms_consent, postal_address) can
    receive: an address, a usable postal address, a phone number with SMS consent."""
    found = set()
    if row["email"]:
        found.add(EMAIL)
    if usable_address(row["postal_address"])[0] is not None:
        found.add(MAIL)
    if sms_refusal(row["phone"], row["sms_consent"]) is None:
        found.add(SMS)
    return frozenset(found)


def load_pace_facts(journeys: Iterable[PacedJourney], now: datetime) -> dict[int, PaceFacts]:
    """Each journey's facts, by enrollment id."""
    wanted = list(journeys)
    if not wanted:
        return {}
    contacts = {j.contact_id for j in wanted}
    rows = Contact.objects.filter(id__in=contacts).values(
        "id", "email", "phone", "sms_consent", "postal_address"
    )
    channels = {r["id"]: reachable(r) for r in rows}
    own: dict[int, set[int]] = defaultdict(set)  # enrollment -> its touches' delivery ids
    waiting: dict[int, datetime] = {}  # enrollment -> its earliest touch still pending
    pending: dict[int, int] = defaultdict(int)
    prefixes = {j.enrollment_id: f"{j.step_id}." for j in wanted}
    touches = Delivery.objects.filter(
        enrollment_id__in=prefixes, step_id__contains="."
    ).values_list("id", "enrollment_id", "step_id", "status", "next_attempt_at")
    for delivery_id, enrollment_id, step_id, status, due in touches:
        if not step_id.startswith(prefixes[enrollment_id]):
            continue
        own[enrollment_id].add(delivery_id)
        if status == DeliveryStatus.PENDING:
            pending[enrollment_id] += 1
            seen = waiting.get(enrollment_id)
            waiting[enrollment_id] = due if seen is None else min(seen, due)
    since = min(j.began for j in wanted)
    exposures: dict[int, list[tuple[int | None, datetime]]] = defaultdict(list)
    rows_seen = Exposure.objects.filter(contact_id__in=contacts, occurred_at__gte=since)
    for contact, exposed, occurred_at in rows_seen.values_list(
        "contact_id", "delivery_id", "occurred_at"
    ):
        exposures[contact].append((exposed, occurred_at))
    found = {}
    for j in wanted:
        mine = own[j.enrollment_id]
        ledger = exposures[j.contact_id]
        # A mailer counts once sent, though its expected in-home date may be ahead.
        delivered = sum(1 for d, _ in ledger if d in mine)
        found[j.enrollment_id] = PaceFacts(
            reachable=channels.get(j.contact_id, frozenset()),
            delivered=delivered,
            others=sum(
                1 for d, at in ledger if d not in mine and j.began <= at <= (j.until or now)
            ),
            waiting_until=waiting.get(j.enrollment_id),
            failed=len(mine) - delivered - pending[j.enrollment_id],
        )
    return found
