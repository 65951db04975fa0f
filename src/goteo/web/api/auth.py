"""Who may call the REST API: each operation names its scope (``ninja_api.operation``), and
``scope_refusal`` decides.

A request carries ``Authorization: Bearer <key>``. The key is either ``GOTEO_API_KEY`` (the
operator's key: every scope) or one made with ``goteo api-key create`` (only its scopes).
A missing, wrong or revoked key is 401; a good key without the scope is 403, naming it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from goteo.actions.api_keys import key_hash, touch_api_key
from goteo.contacts.api_scopes import SCOPES
from goteo.contacts.models import ApiKey

ALL_SCOPES = frozenset(SCOPES)
WRONG_KEY = "missing, wrong or revoked API key (Authorization: Bearer <key>)"


@dataclass(frozen=True)
class Caller:
    """The key a request was made with: its prefix ("GOTEO_API_KEY" for the operator's key)."""

    prefix: str
    scopes: frozenset[str]


def refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "fields": {}}, status=status)


def bearer(request: HttpRequest) -> str | None:
    scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
    given = given.strip()
    return given if scheme.lower() == "bearer" and given else None


def authenticate(key: str) -> Caller | None:
    """The caller behind a key, or None when no key (or a revoked one) matches."""
    operator = settings.GOTEO_API_KEY
    if operator and hmac.compare_digest(key.encode(), operator.encode()):
        return Caller("GOTEO_API_KEY", ALL_SCOPES)
    row = (
        ApiKey.objects.filter(key_hash=key_hash(key), revoked_at__isnull=True)
        .only("id", "prefix", "scopes", "last_used_at")
        .first()
    )
    if row is None:
        return None
    touch_api_key(row.id, row.last_used_at, timezone.now())
    return Caller(row.prefix, frozenset(row.scopes) & ALL_SCOPES)


def scope_refusal(request: HttpRequest, scope: str) -> JsonResponse | None:
    """The 401 or 403 answer to a request whose key does not hold ``scope``; None when it
    does."""
    if scope not in ALL_SCOPES:
        raise ValueError(f"unknown API scope {scope!r}")
    key = bearer(request)
    caller = authenticate(key) if key else None
    if caller is None:
        if not settings.GOTEO_API_KEY and not ApiKey.objects.exists():
            return refuse(403, "the API is disabled: set GOTEO_API_KEY or run goteo api-key create")
        return refuse(401, WRONG_KEY)
    if scope not in caller.scopes:
        return refuse(403, f"this API key lacks the scope {scope}")
    return None
