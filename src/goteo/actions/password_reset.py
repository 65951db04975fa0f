"""Password reset for the web app: the link goes by email through the transactional outbox,
and the worker sends it like any other message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from goteo.actions.contacts import do_upsert_contact
from goteo.actions.messages import do_queue_transactional

TEMPLATE = "password-reset"


def do_request_password_reset(
    email: str, link: Callable[[User], str], now: datetime, locale: str
) -> int | None:
    """Queue the reset message for the active user with this address (the outbox row's id
    is returned); None (and nothing
    written) for an address without an account, so the answer reveals nothing.

    The outbox writes to contacts: a user who is not yet a contact becomes one, with no
    subscription, so it receives transactional mail only.
    """
    address = email.strip().lower()
    user = User.objects.filter(username=address, is_active=True).first()
    if user is None:
        return None
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    context = {"account": address, "reset_url": link(user), "valid_for": f"{hours} h"}
    with transaction.atomic():
        contact = do_upsert_contact({"email": address}).contact
        return do_queue_transactional(contact, TEMPLATE, context, now, locale=locale)
