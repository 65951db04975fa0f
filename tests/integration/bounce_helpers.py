"""Contacts with messages already sent, for the bounce, complaint and webhook tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.campaigns.models import Campaign, Delivery, DeliveryStatus
from goteo.channels.email.composer import message_id, sender_from_settings
from goteo.contacts.models import Contact, ProviderEvent, Suppression

SENT_AT = datetime(2025, 3, 5, 14, 3, 10, tzinfo=UTC)

CAMPAIGN = """\
key: {key}
name: Welcome
trigger: manual
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {{subject: "Hello", html: "<p>Hello</p>"}}
"""


def campaign(key: str = "welcome") -> Campaign:
    return do_apply_campaign(CAMPAIGN.format(key=key)).campaign


def sent_delivery(email: str, to: Campaign | None, step: str = "hello") -> Delivery:
    """A contact (created if new) and one message of ``to`` already sent to it."""
    contact = do_upsert_contact({"email": email, "first_name": "Ana"}).contact
    delivery = Delivery.objects.create(
        contact=contact,
        campaign=to,
        step_id=step,
        channel="email",
        template="hello",
        locale="en",
        status=DeliveryStatus.SENT,
        next_attempt_at=SENT_AT,
        created_at=SENT_AT,
        sent_at=SENT_AT,
        to_address=contact.email,
        subject="Hello",
    )
    delivery.message_id = message_id(delivery.id, sender_from_settings())
    delivery.save(update_fields=["message_id"])
    return delivery


def many_sent(to: Campaign, count: int, prefix: str = "reader") -> list[Delivery]:
    """``count`` contacts, one sent message each."""
    contacts = Contact.objects.bulk_create(
        [Contact(email=f"{prefix}{i}@example.com") for i in range(count)]
    )
    if not all(c.pk for c in contacts):  # SQLite before 3.35 does not return ids
        contacts = list(Contact.objects.filter(email__startswith=prefix).order_by("id"))
    Delivery.objects.bulk_create(
        [
            Delivery(
                contact=c,
                campaign=to,
                step_id="hello",
                channel="email",
                template="hello",
                locale="en",
                status=DeliveryStatus.SENT,
                next_attempt_at=SENT_AT,
                created_at=SENT_AT,
                sent_at=SENT_AT,
                to_address=c.email,
            )
            for c in contacts
        ]
    )
    return list(Delivery.objects.filter(campaign=to, to_address__startswith=prefix).order_by("id"))


def suppressions() -> dict[str, tuple[str, str]]:
    """The whole list: hash → (reason, detail)."""
    return {s.email_hash: (s.reason, s.detail) for s in Suppression.objects.all()}


def webhook_state() -> tuple[Any, ...]:
    """Everything a provider webhook may change."""
    events = sorted(ProviderEvent.objects.values_list("provider", "event_id", "event_type"))
    contacts = sorted(Contact.objects.values_list("email", "status", "soft_bounces"))
    campaigns = sorted(Campaign.objects.values_list("key", "status", "status_reason"))
    return events, suppressions(), contacts, campaigns
