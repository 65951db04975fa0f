"""Queue a transactional message (not part of any campaign) through the same outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from goteo.campaigns.delivery_kinds import TRANSACTIONAL
from goteo.campaigns.outbox import NewDelivery, enqueue_one
from goteo.contacts.models import Contact
from goteo.content.system import SYSTEM_MESSAGES
from goteo.engine import locales


def do_queue_transactional(
    contact: Contact,
    template: str,
    context: dict[str, Any],
    now: datetime,
    *,
    locale: str | None = None,
) -> int:
    """Write the outbox row (its id is returned); the worker sends it at its next pass, never
    paced or capped.

    The message is in ``locale`` when given, else in the contact's language (or English).
    """
    locale = locale or locales.resolve(
        contact.locale or None, SYSTEM_MESSAGES.locales(template), SYSTEM_MESSAGES.default_locale
    )
    row = NewDelivery(
        contact_id=contact.id,
        kind=TRANSACTIONAL,
        step_id=template,
        channel="email",
        template=template,
        locale=locale,
        context=context,
    )
    return enqueue_one(row, now)
