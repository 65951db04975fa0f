"""Messages in flight: checked with the contact locked, sent with no lock held.

An unsubscribe committed while one of the contact's messages is in flight is acknowledged only
after that message is recorded; the frequency cap counts a message in flight as sent, at the
time it will be recorded with, and no longer once it failed.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from tests.integration.flow_helpers import T0, add_contacts, apply, write_pending_deliveries

from goteo.actions.contacts import do_set_status
from goteo.actions.enroll import do_enroll
from goteo.campaigns.in_flight import in_flight
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.contacts.models import Contact
from goteo.worker.claims import (
    PacingQuery,
    claim_deliveries,
    finish_delivery,
    mark_in_flight,
    send_facts,
)

pytestmark = pytest.mark.django_db(transaction=True)

OWNER = "worker-a"
EMAIL = "ana@example.com"


def _templates(*names: str) -> dict[str, Any]:
    return {n: {"en": {"subject": n, "html": "<p>Hello {{ unsubscribe_url }}</p>"}} for n in names}


def _pending(*campaigns: str) -> tuple[int, list[Delivery]]:
    """One contact with one claimed, pending delivery per campaign (each one send step)."""
    for key in campaigns:
        apply(key, [{"id": key, "send": "email", "template": key}], _templates(key))
    contact_id = add_contacts({"email": EMAIL, "first_name": "Ana"})[EMAIL]
    for key in campaigns:
        do_enroll(key, [contact_id], T0)
    assert write_pending_deliveries(T0) == len(campaigns)
    assert len(claim_deliveries(OWNER, T0, 10, 60)) == len(campaigns)
    return contact_id, list(Delivery.objects.order_by("id"))


def _mark(delivery: Delivery) -> float:
    with transaction.atomic():
        deadline = mark_in_flight(delivery.id, delivery.contact_id, OWNER, T0, 60)
    assert deadline is not None
    return deadline


@pytest.mark.postgres  # SQLite's shared in-memory test database refuses concurrent threads
def test_an_unsubscribe_is_acknowledged_only_after_the_message_in_flight_is_recorded() -> None:
    """On SQLite, ``test_unsubscribe_race.py`` races real processes on a database file."""
    contact_id, (delivery,) = _pending("welcome")
    _mark(delivery)
    assert in_flight([contact_id])
    answered = threading.Event()

    def unsubscribe() -> None:
        try:
            do_set_status(EMAIL, "unsubscribed")
            answered.set()
        finally:
            connection.close()

    thread = threading.Thread(target=unsubscribe)
    thread.start()
    try:
        # Once the change is committed, the unsubscribe waits for the message in flight.
        while Contact.objects.get(id=contact_id).status != "unsubscribed":
            assert thread.is_alive()
        assert not answered.is_set()
    finally:
        assert finish_delivery(
            delivery.id, contact_id, OWNER, status=DeliveryStatus.SENT, sent_at=T0
        )
        thread.join(30)
    assert answered.is_set()
    assert not in_flight([contact_id])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.in_flight_until, delivery.sent_at) == ("sent", 0, T0)


def test_the_frequency_cap_counts_a_message_in_flight_until_it_fails(settings: Any) -> None:
    settings.GOTEO_FREQUENCY_CAP = "1/7d"
    contact_id, (first, second) = _pending("news", "offers")
    query = PacingQuery(second.id, T0 - timedelta(days=7), T0)
    assert send_facts(contact_id, second.campaign_id, "", query).recent_sends == ()
    with transaction.atomic():
        assert mark_in_flight(first.id, contact_id, "another-worker", T0, 60) is None  # not its
        # The contact's id names the row too (docs/scaling.md): another contact's is no match.
        assert mark_in_flight(first.id, contact_id + 1, OWNER, T0, 60) is None
    _mark(first)
    facts = send_facts(contact_id, second.campaign_id, "", query)
    assert facts.recent_sends == (T0,)  # the time it will be recorded with
    assert facts.ahead == 0  # counted once, as sent, not also as a message ahead
    assert not finish_delivery(first.id, contact_id + 1, OWNER, next_attempt_at=T0)
    assert finish_delivery(first.id, contact_id, OWNER, next_attempt_at=T0 + timedelta(minutes=1))
    assert send_facts(contact_id, second.campaign_id, "", query).recent_sends == ()
    first.refresh_from_db()
    assert (first.status, first.in_flight_until, first.sent_at) == ("pending", 0, None)
