"""Consent records as plain data: for one contact (the contact card) or everyone (export)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from goteo.contacts.models import Consent

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
    values = query.order_by("id").values(*_VALUES.values(), "consent_text__form_key")
    for row in values.iterator(chunk_size=2000):
        # A deleted form leaves its key on the consent text the person agreed to.
        row["form__key"] = row["form__key"] or row["consent_text__form_key"]
        yield {name: row[source] for name, source in _VALUES.items()}


def consents_of(contact_id: int) -> list[dict[str, Any]]:
    """Every consent record of one contact, oldest first (without the repeated email)."""
    return [
        {k: v for k, v in row.items() if k != "email"}
        for row in _rows(Consent.objects.filter(contact_id=contact_id))
    ]


def consent_rows(form_key: str | None = None) -> Iterator[dict[str, Any]]:
    """Every consent record (of one form, if given), oldest first."""
    query = Consent.objects.all()
    if form_key is not None:
        query = query.filter(form__key=form_key)
    return _rows(query)
