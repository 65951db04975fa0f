"""Our Message-IDs: ``<goteo.<delivery id>.<mac>@<domain>>``, the same for every attempt.

The composer writes them; bounces, complaints and provider events read them back to find the
delivery they are about. The mac (the first 16 hex digits of HMAC-SHA256 of the delivery id
under the secret key) means a forged or mistyped id names no delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_OURS = re.compile(r"^<?goteo\.(\d{1,18})\.([0-9a-f]{16})@[^>]*>?$", re.IGNORECASE)


def message_mac(delivery_id: int, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"delivery:{delivery_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:16]


def message_id(delivery_id: int, secret: str, domain: str) -> str:
    """Deterministic: a resent delivery carries the same Message-ID, so a duplicate shows."""
    return f"<goteo.{delivery_id}.{message_mac(delivery_id, secret)}@{domain}>"


def delivery_of(value: str, secret: str) -> int | None:
    """The delivery a Message-ID of ours names, or None (not ours, or its mac is wrong)."""
    match = _OURS.match((value or "").strip())
    if match is None:
        return None
    number = int(match.group(1))
    if not hmac.compare_digest(message_mac(number, secret), match.group(2).lower()):
        return None
    return number
