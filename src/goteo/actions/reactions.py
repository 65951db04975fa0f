"""What newly stored events set in motion, inside the transaction that stored them.

``react`` is called by every path that stores events (the events API, the tracking endpoint,
opens and clicks) with the events that were really stored: a duplicate is never passed, so
it can never fire a trigger twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from goteo.actions.attribution import attribute_conversions
from goteo.actions.coupons import redeem_from_events
from goteo.actions.event_triggers import enroll_on_events
from goteo.actions.exposure_visits import record_page_visits
from goteo.actions.scoring import score_events
from goteo.campaigns.models import Enrollment, EnrollmentStatus
from goteo.contacts.event_facts import EventFact


def react(facts: list[EventFact], now: datetime) -> None:
    """In order: redeem coupons named by purchases, credit conversions (a redeemed coupon is
    the strongest touch), record visits to campaigns' product pages as exposures, score leads,
    enroll on event triggers, and wake the journeys of the contacts who acted (waits for
    events, goals and exit conditions look at once)."""
    known = [f for f in facts if f.contact_id is not None]
    if not known:
        return
    redeem_from_events(known, now)
    attribute_conversions(known, now)
    record_page_visits(known)
    score_events(known, now)
    enroll_on_events(known, now)
    wake_contacts({f.contact_id for f in known if f.contact_id is not None}, now)


def wake_contacts(contact_ids: Iterable[int], now: datetime) -> int:
    """Make the contacts' active journeys due now, so waits for events, goals and exit
    conditions are looked at promptly instead of when their timers run out.

    Plain SQL: it runs for every batch of events, and building a 1,000-value ORM lookup costs
    more than the statement."""
    ids = sorted(set(contact_ids))
    table = Enrollment._meta.db_table
    moment = Enrollment._meta.get_field("due_at").get_db_prep_value(now, connection)
    woken = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 1000):
            part = ids[start : start + 1000]
            cursor.execute(
                f"UPDATE {table} SET due_at = %s WHERE status = %s AND due_at > %s"
                f" AND contact_id IN ({', '.join(['%s'] * len(part))})",
                [moment, EnrollmentStatus.ACTIVE.value, moment, *part],
            )
            woken += cursor.rowcount
    return woken
