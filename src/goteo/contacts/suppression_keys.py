"""How the suppression list names an address, and which of its reasons stop every message.

Shared by the actions that add to the list and the worker's send-time gate, so it lives here,
beside the ``Suppression`` model, below both.
"""

from __future__ import annotations

import hashlib

# Suppressions that stop even a confirmation email: the address does not work or objected.
HARD_REASONS = frozenset(("hard_bounce", "soft_bounces", "complaint", "manual"))


def email_hash(address: str) -> str:
    """The key of the suppression list: it identifies an address without keeping it."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()
