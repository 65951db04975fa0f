"""The preference centre's writes: topics, language, a pause, unsubscribing from everything."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction

from goteo.actions.subscriptions import do_subscribe
from goteo.actions.suppression import do_suppress
from goteo.campaigns.in_flight import wait_after_commit
from goteo.campaigns.models import Enrollment, EnrollmentStatus
from goteo.contacts.models import Contact, ContactStatus, Subscription, SuppressionReason

PAUSES = {"1w": timedelta(weeks=1), "1m": timedelta(days=30), "3m": timedelta(days=90)}


def do_set_topics(
    contact: Contact, chosen: Iterable[str], offered: Iterable[str], now: datetime
) -> tuple[list[str], list[str]]:
    """Subscribe to the chosen topics and leave the other offered ones; (added, removed).

    A new topic fires its campaigns as any subscription does. Leaving a topic ends the
    contact's journeys in the campaigns it triggered (a message already being sent may still
    go out).
    """
    offered_set = set(offered)
    wanted = {t for t in chosen if t in offered_set}
    have = set(Subscription.objects.filter(contact=contact).values_list("topic", flat=True))
    added = sorted(wanted - have)
    removed = sorted((have & offered_set) - wanted)
    with transaction.atomic():
        Subscription.objects.filter(contact=contact, topic__in=removed).delete()
        _end_journeys(contact.id, removed, now, "left the topic")
        for topic in added:
            do_subscribe([contact.id], topic, now)
    return added, removed


def _end_journeys(contact_id: int, topics: list[str], now: datetime, reason: str) -> int:
    """End active enrollments in campaigns triggered by ``topics`` (not held by a worker)."""
    if not topics:
        return 0
    return Enrollment.objects.filter(
        contact_id=contact_id,
        status=EnrollmentStatus.ACTIVE,
        campaign__trigger_kind="subscribed",
        campaign__trigger_value__in=topics,
        lease_until__lt=time.time(),
    ).update(status=EnrollmentStatus.EXITED, ended_at=now, end_reason=reason, due_at=None)


def do_set_locale(contact: Contact, locale: str) -> None:
    if contact.locale != locale:
        contact.locale = locale
        contact.save(update_fields=["locale", "updated_at"])


def do_pause(contact: Contact, length: str | None, now: datetime) -> datetime | None:
    """Hold marketing email for a while (``1w``, ``1m``, ``3m``), or resume it (None)."""
    contact.paused_until = now + PAUSES[length] if length else None
    contact.save(update_fields=["paused_until", "updated_at"])
    return contact.paused_until


def do_unsubscribe_everything(contact: Contact, now: datetime) -> None:
    """Unsubscribed from every topic and campaign, and the address put on the suppression
    list; only a newly confirmed subscription lifts that."""
    with transaction.atomic():
        if contact.status in (ContactStatus.ACTIVE, ContactStatus.UNCONFIRMED):
            contact.status = ContactStatus.UNSUBSCRIBED
            contact.save(update_fields=["status", "updated_at"])
        topics = list(Subscription.objects.filter(contact=contact).values_list("topic", flat=True))
        Subscription.objects.filter(contact=contact).delete()
        _end_journeys(contact.id, topics, now, "unsubscribed")
        do_suppress(contact.email, SuppressionReason.UNSUBSCRIBED, "preference centre")
        wait_after_commit([contact.id])  # acknowledged after its messages in flight
