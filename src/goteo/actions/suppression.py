"""The suppression list: addresses that are never sent to, kept only as hashes.

Every writer goes through here: the unsubscribe page (through ``do_set_status``), bounce and
complaint reports, ``goteo suppress`` and erasure. A row holds one reason; a stronger reason
replaces a weaker one (an unsubscribed address that later hard-bounces is ``hard_bounce``), a
weaker one never replaces a stronger one, so every call is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from goteo.actions.errors import ActionError
from goteo.contacts.models import Suppression, SuppressionReason
from goteo.contacts.suppression_keys import email_hash

# Weakest first. ``unsubscribed`` stops marketing only; the others stop every message.
STRENGTH = {
    SuppressionReason.UNSUBSCRIBED: 1,
    SuppressionReason.SOFT_BOUNCES: 2,
    SuppressionReason.HARD_BOUNCE: 3,
    SuppressionReason.MANUAL: 4,
    SuppressionReason.COMPLAINT: 5,
    SuppressionReason.ERASED: 6,
}
# The contact statuses that put an address on the list, and the reason they write.
STATUS_REASONS = {
    "unsubscribed": SuppressionReason.UNSUBSCRIBED,
    "bounced": SuppressionReason.HARD_BOUNCE,
    "complained": SuppressionReason.COMPLAINT,
}
# What ``do_unsuppress`` removes when no reason is named: everything but an erasure.
REMOVABLE = tuple(r for r in SuppressionReason.values if r != SuppressionReason.ERASED)

_HASH = re.compile(r"^[0-9a-f]{64}$")


def address_hash(address: str) -> str:
    """The list's key for an address, or the value itself when it already is a hash."""
    value = address.strip().lower()
    if not value:
        raise ActionError("invalid address", {"address": "an address or its hash is required"})
    return value if _HASH.match(value) else email_hash(value)


def _check_reason(reason: str) -> SuppressionReason:
    if reason not in SuppressionReason.values:
        choices = ", ".join(SuppressionReason.values)
        raise ActionError("invalid reason", {"reason": f"use one of {choices}"})
    return SuppressionReason(reason)


def do_suppress(address: str, reason: str, detail: str = "") -> Suppression:
    """Put an address (or its hash) on the list; a stronger reason replaces a weaker one."""
    checked = _check_reason(reason)
    key = address_hash(address)
    detail = detail[:500]
    with transaction.atomic():
        row = Suppression.objects.select_for_update().filter(email_hash=key).first()
        if row is None:
            try:
                with transaction.atomic():
                    return Suppression.objects.create(email_hash=key, reason=checked, detail=detail)
            except IntegrityError:  # written meanwhile by another process: judge that row
                row = Suppression.objects.select_for_update().get(email_hash=key)
        if STRENGTH[checked] > STRENGTH[SuppressionReason(row.reason)]:
            row.reason = checked
            row.detail = detail
            row.save(update_fields=["reason", "detail"])
    return row


def do_unsuppress(address: str, reasons: Iterable[str] | None = None) -> int:
    """Take an address off the list if its reason is one of ``reasons``; rows removed.

    Without ``reasons``, any reason but ``erased`` (an erasure is never undone by accident).
    """
    allowed = [_check_reason(r).value for r in reasons] if reasons is not None else REMOVABLE
    key = address_hash(address)
    with transaction.atomic():
        deleted, _ = Suppression.objects.filter(email_hash=key, reason__in=allowed).delete()
    return deleted


def suppression_reason(address: str) -> str | None:
    """Why an address (or hash) is suppressed, or None when it is not on the list."""
    return (
        Suppression.objects.filter(email_hash=address_hash(address))
        .values_list("reason", flat=True)
        .first()
    )


def sync_with_status(address: str, status: str, detail: str = "") -> None:
    """Keep the list in step with a contact status set by hand or by the unsubscribe page.

    Unsubscribed, bounced and complained add a row; active again removes only an
    ``unsubscribed`` row (a bounce or a complaint is lifted with ``goteo suppress remove``).
    """
    reason = STATUS_REASONS.get(status)
    if reason is not None:
        do_suppress(address, reason, detail)
    elif status == "active":
        do_unsuppress(address, reasons=(SuppressionReason.UNSUBSCRIBED,))
