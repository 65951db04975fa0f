"""The audit recorder: every change an action makes, written in the action's transaction.

Who made it comes from the caller (``goteo.accounts.actor``): the web app signs each
request's actions with its user (``user:ana@example.com``), the command line with ``cli``;
anything else (the API, forms, the demo) is ``system``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from goteo.accounts.actor import acting_as, current_actor
from goteo.accounts.models import AuditEntry

__all__ = ["acting_as", "current_actor", "record"]
_ENCODER = DjangoJSONEncoder()


def record(
    action: str,
    target: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AuditEntry:
    """One audit entry; call it inside the action's transaction so it commits with it."""
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor=current_actor()[:200],
        action=action,
        target=target[:320],
        before=_plain(before),
        after=_plain(after),
    )


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """JSON-ready values: dates and decimals as text, as DjangoJSONEncoder writes them."""
    if values is None:
        return None
    return {k: _value(v) for k, v in values.items()}


def _value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return _ENCODER.default(value)
