"""Addresses that carry a signed token: the bounce address and the mailto unsubscribe address.

``bounces+<delivery id>-<mac>@<domain>`` comes back on a bounce report and names the delivery;
``unsubscribe+<contact id>-<mac>@<domain>`` in List-Unsubscribe names the contact. Neither can
be forged without the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_LOCAL = re.compile(r"^(bounces|unsubscribe)\+([0-9a-f]+)-([0-9a-f]{16})$")


def _mac(secret: str, kind: str, number: int) -> str:
    message = f"{kind}:{number}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]


def encode(kind: str, number: int, domain: str, secret: str) -> str:
    """``kind`` is ``bounces`` (a delivery id) or ``unsubscribe`` (a contact id)."""
    return f"{kind}+{number:x}-{_mac(secret, kind, number)}@{domain}"


def decode(address: str, secret: str) -> tuple[str, int] | None:
    """(kind, number) for a genuine address; None for anything else."""
    local, _, _domain = address.strip().strip("<>").lower().rpartition("@")
    match = _LOCAL.match(local)
    if match is None:
        return None
    kind, number_hex, mac = match.groups()
    number = int(number_hex, 16)
    if not hmac.compare_digest(mac, _mac(secret, kind, number)):
        return None
    return kind, number
