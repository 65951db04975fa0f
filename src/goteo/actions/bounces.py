"""What a bounce, a complaint or an unsubscribe report does to a contact, the list, a campaign.

- A **hard bounce** marks the contact ``bounced`` and suppresses the address at once.
- A **soft bounce** is counted on the contact; at ``GOTEO_SOFT_BOUNCE_LIMIT`` (3) the contact
  is ``bounced`` and the address suppressed (``soft_bounces``). A delivery report resets the
  count.
- A **complaint** marks the contact ``complained``, suppresses the address, and pauses the
  message's campaign when its complaint rate passes 0.3% (judged from
  ``GOTEO_COMPLAINT_MIN_SENT`` (300) sent messages on).
- An **unsubscribe** reported by a provider or by mail does what the unsubscribe page does.

A contact's status only ever moves towards the stronger one: complained > bounced >
unsubscribed > active.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.suppression import do_suppress
from goteo.campaigns.in_flight import wait_after_commit
from goteo.campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from goteo.channels.email.bounce_status import HARD, severity
from goteo.contacts.models import Contact, ContactStatus, ProviderEvent, SuppressionReason

HARD_BOUNCE, SOFT_BOUNCE = "hard_bounce", "soft_bounce"
COMPLAINT, UNSUBSCRIBE, DELIVERED = "complaint", "unsubscribe", "delivered"

# Complaints per sent message above which a campaign pauses itself: 0.3% is the most any
# bulk sender can have before the large mailbox providers start refusing its mail.
COMPLAINT_RATE_LIMIT = (3, 1000)

_RANK = {
    ContactStatus.ACTIVE: 0,
    ContactStatus.UNCONFIRMED: 0,
    ContactStatus.UNSUBSCRIBED: 1,
    ContactStatus.BOUNCED: 2,
    ContactStatus.COMPLAINED: 3,
}


@dataclass(frozen=True)
class Target:
    """Whom an event is about: the address, and the contact and delivery when known."""

    address: str
    contact_id: int | None = None
    delivery_id: int | None = None
    campaign_id: int | None = None


def outcome(event_type: str, bounce: str, description: str) -> str | None:
    """The effect of one normalised event (anymail's vocabulary), or None to only record it.

    A ``bounced`` event is hard or soft by ``bounce`` (the provider's own label), else by the
    SMTP code in ``description`` (5xx hard, 4xx soft), else soft. ``rejected`` and ``failed``
    events act only when they are known to be hard (the provider refuses a dead address).
    """
    if event_type == "complained":
        return COMPLAINT
    if event_type == "unsubscribed":
        return UNSUBSCRIBE
    if event_type == "delivered":
        return DELIVERED
    if event_type in ("bounced", "rejected", "failed"):
        kind = bounce or severity(description)
        if event_type == "bounced":
            return HARD_BOUNCE if kind == HARD else SOFT_BOUNCE
        return HARD_BOUNCE if kind == HARD else None
    return None


def apply_outcome(what: str, target: Target, detail: str) -> None:
    """Inside the caller's transaction: change the contact, the list and the campaign."""
    if what == DELIVERED:
        if target.contact_id is not None:
            Contact.objects.filter(id=target.contact_id, soft_bounces__gt=0).update(soft_bounces=0)
    elif what == HARD_BOUNCE:
        _escalate(target.contact_id, ContactStatus.BOUNCED)
        _suppress(target, SuppressionReason.HARD_BOUNCE, detail)
    elif what == SOFT_BOUNCE:
        _soft_bounce(target, detail)
    elif what == COMPLAINT:
        _escalate(target.contact_id, ContactStatus.COMPLAINED)
        _suppress(target, SuppressionReason.COMPLAINT, detail)
        if target.campaign_id is not None:
            check_complaint_rate(target.campaign_id)
    elif what == UNSUBSCRIBE:
        _escalate(target.contact_id, ContactStatus.UNSUBSCRIBED)
        _suppress(target, SuppressionReason.UNSUBSCRIBED, detail)


def _suppress(target: Target, reason: str, detail: str) -> None:
    if target.address:
        do_suppress(target.address, reason, detail)


def _escalate(contact_id: int | None, status: ContactStatus) -> None:
    if contact_id is None:
        return
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(id=contact_id).first()
        if contact is not None and _RANK[status] > _RANK[ContactStatus(contact.status)]:
            contact.status = status
            contact.save(update_fields=["status", "updated_at"])
            wait_after_commit([contact.id])


def _soft_bounce(target: Target, detail: str) -> None:
    if target.contact_id is None:
        return  # nobody to count for: we never send to an address that is not a contact
    contacts = Contact.objects.filter(id=target.contact_id)
    contacts.update(soft_bounces=F("soft_bounces") + 1)
    count = contacts.values_list("soft_bounces", flat=True).first() or 0
    limit = int(getattr(settings, "GOTEO_SOFT_BOUNCE_LIMIT", 3))
    if limit > 0 and count >= limit:
        _escalate(target.contact_id, ContactStatus.BOUNCED)
        _suppress(target, SuppressionReason.SOFT_BOUNCES, f"{count} soft bounces; last: {detail}")


def complaint_counts(campaign_id: int) -> tuple[int, int]:
    """(messages complained about, messages sent) for one campaign."""
    deliveries = Delivery.objects.filter(campaign_id=campaign_id)
    sent = deliveries.filter(status=DeliveryStatus.SENT).count()
    complained = (
        ProviderEvent.objects.filter(
            event_type="complained", delivery_id__in=deliveries.values("id")
        )
        .values("delivery_id")
        .distinct()
        .count()
    )
    return complained, sent


def check_complaint_rate(campaign_id: int) -> str | None:
    """Pause an active campaign whose complaint rate is over the limit; the reason, if paused.

    Judged only once the campaign has sent ``GOTEO_COMPLAINT_MIN_SENT`` messages, so two early
    complaints cannot stop a campaign that has barely started.
    """
    campaign = Campaign.objects.filter(id=campaign_id).values("key", "status").first()
    if campaign is None or campaign["status"] != CampaignStatus.ACTIVE:
        return None
    complained, sent = complaint_counts(campaign_id)
    minimum = int(getattr(settings, "GOTEO_COMPLAINT_MIN_SENT", 300))
    numerator, denominator = COMPLAINT_RATE_LIMIT
    if sent == 0 or sent < minimum or complained * denominator <= sent * numerator:
        return None
    limit = f"{100 * numerator / denominator:g}%"
    reason = (
        f"paused: complaint rate {complained / sent:.2%} ({complained} of {sent} delivered)"
        f" is over {limit}"
    )
    do_set_campaign_status(campaign["key"], CampaignStatus.PAUSED, reason)
    return reason
