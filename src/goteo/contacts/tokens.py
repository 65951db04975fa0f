"""Signed, unguessable tokens in links: unsubscribe, confirm a subscription, preferences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

_UNSUBSCRIBE = signing.Signer(salt="goteo.unsubscribe", algorithm="sha256")
_CONFIRM = signing.TimestampSigner(salt="goteo.confirm", algorithm="sha256")
_PREFERENCES = signing.Signer(salt="goteo.preferences", algorithm="sha256")
CONFIRM_MAX_AGE = timedelta(days=7)


def unsubscribe_token(contact_id: int) -> str:
    return _UNSUBSCRIBE.sign(format(contact_id, "x"))


def contact_from_unsubscribe_token(token: str) -> int | None:
    """The contact id a genuine token names, or None for a tampered or guessed one."""
    try:
        return int(_UNSUBSCRIBE.unsign(token), 16)
    except (signing.BadSignature, ValueError):
        return None


def confirm_token(consent_id: int) -> str:
    """The double opt-in link's token: the consent record's id, signed with the time."""
    return _CONFIRM.sign(format(consent_id, "x"))


@dataclass(frozen=True)
class ConfirmToken:
    consent_id: int | None  # None: tampered or guessed
    expired: bool = False  # genuine, but older than the maximum age


def read_confirm_token(token: str, max_age: timedelta = CONFIRM_MAX_AGE) -> ConfirmToken:
    """Which consent a confirmation token names, and whether it is still valid."""
    try:
        return ConfirmToken(int(_CONFIRM.unsign(token, max_age=max_age), 16))
    except signing.SignatureExpired:
        try:
            return ConfirmToken(int(_CONFIRM.unsign(token), 16), expired=True)
        except (signing.BadSignature, ValueError):
            return ConfirmToken(None)
    except (signing.BadSignature, ValueError):
        return ConfirmToken(None)


def preference_token(contact_id: int) -> str:
    """The preference centre's token: the contact id, signed (it does not expire)."""
    return _PREFERENCES.sign(format(contact_id, "x"))


def contact_from_preference_token(token: str) -> int | None:
    try:
        return int(_PREFERENCES.unsign(token), 16)
    except (signing.BadSignature, ValueError):
        return None
