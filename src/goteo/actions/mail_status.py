"""The print provider's status reports on mailers: kept once each, and applied to the delivery.

A report is stored as a ``ProviderEvent`` (provider ``lob``, its event id unique, so a repeated
call changes nothing) and then updates the mailer's delivery: the expected in-home date when
the provider gives one, and a mailer that failed, was cancelled or came back is marked so,
with the reason (docs/direct-mail.md#status-webhooks).

The exposure ledger follows (docs/measurement.md#the-exposure-ledger): a mailer reported
delivered becomes a ``delivered`` exposure dated when the provider says it arrived; one that
failed, was cancelled or came back was never in front of the contact, so its expected
in-home exposure is withdrawn.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from goteo.campaigns.exposures import record_reported, withdraw_delivery
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.channels.direct_mail.lob_webhooks import MailStatus
from goteo.contacts.models import ProviderEvent
from goteo.engine.exposure_words import DELIVERED

PROVIDER = "lob"
FAILED = {"failed": "the print provider could not print or mail it", "cancelled": "cancelled"}
RETURNED = "returned to sender"


def do_record_mail_status(status: MailStatus, now: datetime) -> bool:
    """Apply one genuine report (received ``now``); False when it had been recorded before."""
    mailer = None
    if status.delivery_id is not None:
        mailer = Delivery.objects.filter(id=status.delivery_id, channel="mail").first()
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=PROVIDER,
                event_id=status.event_id[:200],
                event_type=status.status[:32],
                message_id=status.provider_id[:255],
                contact_id=mailer.contact_id if mailer else None,
                delivery_id=mailer.id if mailer else None,
                description=status.event_type,
                raw=status.raw,
                occurred_at=status.occurred_at,
            )
    except IntegrityError:
        return False
    if mailer is None:
        return True
    changes: dict[str, object] = {}
    if status.expected_in_home is not None:
        changes["expected_in_home"] = status.expected_in_home
    if status.status in FAILED:
        changes |= {"status": DeliveryStatus.FAILED, "last_error": FAILED[status.status]}
    elif status.status == "returned":
        changes["last_error"] = RETURNED
    with transaction.atomic():
        if changes:
            Delivery.objects.filter(id=mailer.id).update(**changes)
        if status.status == DELIVERED:
            record_reported(mailer.id, status.occurred_at or now, DELIVERED)
        elif status.status in FAILED or status.status == "returned":
            withdraw_delivery(mailer.id, mailer.contact_id)
    return True
