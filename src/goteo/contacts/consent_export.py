"""Consent records as plain data: for one contact (API, CLI) or for everyone (export)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from goteo.contacts.models import Consent, Subscription

COLUMNS = (
    "email",
    "form",
    "topics",
    "source",
    "ip",
    "user_agent",
    "consent_version",
    "consent_text",
    "submitted_at",
    "confirmed_at",
)
_VALUES = {
    "email": "contact__email",
    "form": "form__key",
    "topics": "topics",
    "source": "source",
    "ip": "ip",
    "user_agent": "user_agent",
    "consent_version": "consent_text__version",
    "consent_text": "consent_text__text",
    "submitted_at": "submitted_at",
    "confirmed_at": "confirmed_at",
}


def _rows(query: Any) -> Iterator[dict[str, Any]]:
    for row in query.order_by("id").values(*_VALUES.values()).iterator(chunk_size=2000):
        yield {name: row[source] for name, source in _VALUES.items()}


def consents_of(contact_id: int) -> list[dict[str, Any]]:
    """Every consent record of one contact, oldest first (without the repeated email)."""
    return [
        {k: v for k, v in row.items() if k != "email"}
        for row in _rows(Consent.objects.filter(contact_id=contact_id))
    ]


def consent_summary(contact_id: int) -> dict[str, Any]:
    """What the API and ``goteo contacts show`` add to a contact: consents, subscriptions."""
    topics = Subscription.objects.filter(contact_id=contact_id).order_by("topic")
    return {
        "consents": consents_of(contact_id),
        "subscriptions": list(topics.values_list("topic", flat=True)),
    }


def consent_rows(form_key: str | None = None) -> Iterator[dict[str, Any]]:
    """Every consent record (of one form, if given), oldest first."""
    query = Consent.objects.all()
    if form_key is not None:
        query = query.filter(form__key=form_key)
    return _rows(query)
