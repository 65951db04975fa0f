"""Signed, unguessable tokens in links: unsubscribe today, the preference centre later."""

from __future__ import annotations

from django.core import signing

_UNSUBSCRIBE = signing.Signer(salt="goteo.unsubscribe", algorithm="sha256")


def unsubscribe_token(contact_id: int) -> str:
    return _UNSUBSCRIBE.sign(format(contact_id, "x"))


def contact_from_unsubscribe_token(token: str) -> int | None:
    """The contact id a genuine token names, or None for a tampered or guessed one."""
    try:
        return int(_UNSUBSCRIBE.unsign(token), 16)
    except (signing.BadSignature, ValueError):
        return None
