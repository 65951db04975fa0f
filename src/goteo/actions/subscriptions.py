"""Subscribing contacts to a list or topic fires the campaigns triggered by it, at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from goteo.actions.enroll import EnrollReport, do_enroll
from goteo.campaigns.models import Campaign
from goteo.contacts.models import Subscription


def do_subscribe(contact_ids: Sequence[int], topic: str, now: datetime) -> dict[str, EnrollReport]:
    """Record the subscriptions, then enroll into every campaign with ``subscribed: topic``."""
    with transaction.atomic():
        Subscription.objects.bulk_create(
            [Subscription(contact_id=i, topic=topic) for i in contact_ids],
            batch_size=1000,
            ignore_conflicts=True,
        )
    keys = Campaign.objects.filter(
        trigger_kind="subscribed", trigger_value=topic, current_version__isnull=False
    ).values_list("key", flat=True)
    return {key: do_enroll(key, contact_ids, now) for key in keys}
