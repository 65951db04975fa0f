"""API keys: create (the key is shown once; only its SHA-256 and a prefix are kept), revoke,
and note when a key was last used. The only writer of ApiKey rows."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from goteo.actions.errors import ActionError
from goteo.contacts.api_scopes import SCOPES
from goteo.contacts.models import ApiKey

# last_used_at is written at most this often per key, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
NAME_MAX = 100


@dataclass(frozen=True)
class CreatedKey:
    row: ApiKey
    key: str  # the only time the key exists outside the caller's hands


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise ActionError(
            "unknown scope", {"scope": f"{', '.join(unknown)}: use {', '.join(SCOPES)}"}
        )
    if not chosen:
        raise ActionError("no scope", {"scope": "give at least one scope"})
    return chosen


def do_create_api_key(name: str, scopes: Iterable[str], now: datetime) -> CreatedKey:
    """A new key with these scopes; the returned ``key`` is not stored anywhere."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ActionError("invalid name", {"name": f"1 to {NAME_MAX} characters"})
    chosen = check_scopes(scopes)
    for _ in range(5):  # a prefix clash is astronomically rare; try again if it happens
        prefix = f"gt_{secrets.token_hex(4)}"
        key = f"{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                row = ApiKey.objects.create(
                    name=name, prefix=prefix, key_hash=key_hash(key), scopes=chosen, created_at=now
                )
        except IntegrityError:
            continue
        return CreatedKey(row, key)
    raise ActionError("could not create a key", {"prefix": "too many clashes, try again"})


def do_revoke_api_key(prefix: str, now: datetime) -> ApiKey:
    """Revoke the key with this prefix; it stops working on its next request."""
    with transaction.atomic():
        row = ApiKey.objects.select_for_update().filter(prefix=prefix.strip()).first()
        if row is None:
            raise ActionError("no such key", {"prefix": f"no API key starts with {prefix!r}"})
        if row.revoked_at is None:
            row.revoked_at = now
            row.save(update_fields=["revoked_at"])
    return row


def touch_api_key(key_id: int, last_used_at: datetime | None, now: datetime) -> None:
    """Record a use, unless one was recorded within ``TOUCH_EVERY``: at most one write a
    minute per key, however busy it is."""
    if last_used_at is not None and now - last_used_at < TOUCH_EVERY:
        return
    ApiKey.objects.filter(id=key_id).update(last_used_at=now)
