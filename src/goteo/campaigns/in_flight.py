"""An unsubscribe waits for its contact's messages in flight before it is acknowledged.

The worker marks a message in flight (``Delivery.in_flight_until``) in the transaction that
checks the contact with the contact's row locked, and clears the mark when it records the
result. A change that stops a contact's messages (an unsubscribe, a bounce, an erasure, an SMS
STOP) commits, then waits here until none of the contact's messages is in flight: each one
was checked before the change and is now recorded, and every later check sees the change. The
mark ends with the worker's lease, so a worker that died mid-send delays the answer by its
lease at most (docs/delivery-guarantees.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import partial

from django.db import transaction

from goteo.campaigns.models import Delivery

POLL = 0.002  # seconds between looks; a message in flight is recorded within milliseconds


def in_flight(contact_ids: list[int]) -> bool:
    now = time.time()
    return Delivery.objects.filter(contact_id__in=contact_ids, in_flight_until__gt=now).exists()


def wait_for_in_flight(contact_ids: Iterable[int]) -> None:
    ids = list(contact_ids)
    while ids and in_flight(ids):
        time.sleep(POLL)


def wait_after_commit(contact_ids: Iterable[int]) -> None:
    """Inside the change's transaction: wait for the messages in flight once it commits."""
    transaction.on_commit(partial(wait_for_in_flight, list(contact_ids)))
