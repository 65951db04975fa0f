"""What the data-rights export calls each table and column: documented names (docs/gdpr.md).

Each section maps the name a person reads to where it is stored. A table that refers to
contacts but has no section here is still exported, under ``other``, by its plural name.
"""

from __future__ import annotations

from django.db.models import Model

from goteo.campaigns.models import Conversion, Coupon, Delivery, Exposure
from goteo.contacts.models import ChannelConsent, Event, ProviderEvent, ScoreEntry, Visitor

DELIVERIES = {
    "id": "id",
    "campaign": "campaign__key",
    "kind": "kind",
    "step": "step_id",
    "channel": "channel",
    "template": "template",
    "locale": "locale",
    "status": "status",
    "attempts": "attempts",
    "to_address": "to_address",
    "subject": "subject",
    "message_id": "message_id",
    "segments": "segments",
    "created_at": "created_at",
    "due_at": "next_attempt_at",
    "sent_at": "sent_at",
    "expected_in_home": "expected_in_home",
    "last_error": "last_error",
}
PROVIDER_EVENTS = {
    "provider": "provider",
    "event_id": "event_id",
    "type": "event_type",
    "message_id": "message_id",
    "delivery": "delivery_id",
    "description": "description",
    "raw": "raw",
    "occurred_at": "occurred_at",
    "received_at": "received_at",
}
EVENTS = {
    "id": "id",
    "name": "name",
    "properties": "properties",
    "source": "source",
    "anonymous_id": "anonymous_id",
    "delivery": "delivery_id",
    "idempotency_key": "idempotency_key",
    "occurred_at": "occurred_at",
    "received_at": "received_at",
}
VISITORS = {
    "anonymous_id": "anonymous_id",
    "first_seen": "first_seen",
    "last_seen": "last_seen",
    "identified_at": "identified_at",
}
COUPONS = {
    "code": "code",
    "pool": "pool",
    "campaign": "campaign__key",
    "step": "step_id",
    "percent_off": "percent_off",
    "amount_off": "amount_off",
    "currency": "currency",
    "issued_at": "issued_at",
    "expires_at": "expires_at",
    "redeemed_at": "redeemed_at",
}
CONVERSIONS = {
    "event": "event_id",
    "name": "name",
    "value": "value",
    "currency": "currency",
    "campaign": "campaign__key",
    "step": "step_id",
    "delivery": "delivery_id",
    "touch": "touch",
    "coupon_code": "coupon_code",
    "occurred_at": "occurred_at",
}
SCORE_CHANGES = {
    "points": "points",
    "reason": "reason",
    "event": "event_id",
    "created_at": "created_at",
}
EXPOSURES = {
    "channel": "channel",
    "kind": "kind",
    "campaign": "campaign__key",
    "step": "step_id",
    "delivery": "delivery_id",
    "occurred_at": "occurred_at",
    "first_opened_at": "first_opened_at",
    "first_clicked_at": "first_clicked_at",
    "opens": "opens",
    "clicks": "clicks",
}
CHANNEL_CONSENTS = {
    "channel": "channel",
    "status": "status",
    "source": "source",
    "text": "text",
    "ip": "ip",
    "proof": "proof",
    "at": "at",
}
# Tables read by the contact card (subscriptions, consents, journeys) are not listed here.
SECTIONS: dict[type[Model], tuple[str, dict[str, str]]] = {
    Delivery: ("deliveries", DELIVERIES),
    ProviderEvent: ("provider_events", PROVIDER_EVENTS),
    Event: ("events", EVENTS),
    Visitor: ("visitors", VISITORS),
    Coupon: ("coupons", COUPONS),
    Conversion: ("conversions", CONVERSIONS),
    ScoreEntry: ("score_changes", SCORE_CHANGES),
    Exposure: ("exposures", EXPOSURES),
    ChannelConsent: ("channel_consents", CHANNEL_CONSENTS),
}


def readable(row: dict[str, object], names: dict[str, str]) -> dict[str, object]:
    """A row read with ``values(*names.values())``, under the documented names."""
    return {name: row[source] for name, source in names.items()}
