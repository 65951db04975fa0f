"""The last word before a message leaves: send it, suppress it, hold it, or postpone it.

The facts are read in one query right before sending (``claims.send_facts``); the decision
itself is pure, so it is tested without a database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

MARKETING, TRANSACTIONAL = "marketing", "transactional"
# Suppressions that stop even a confirmation email: the address does not work or objected.
HARD_REASONS = frozenset(("hard_bounce", "soft_bounces", "complaint", "manual"))


def email_hash(address: str) -> str:
    """The key of the suppression list: it identifies an address without keeping it."""
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Facts:
    contact_status: str | None  # None: the contact no longer exists
    paused_until: datetime | None
    campaign_status: str | None  # None for transactional messages
    suppression: str | None  # the reason, if the address is on the suppression list


@dataclass(frozen=True)
class Send:
    pass


@dataclass(frozen=True)
class Suppress:
    reason: str


@dataclass(frozen=True)
class Hold:
    """Give the message back unsent (its campaign was paused); not an attempt."""


@dataclass(frozen=True)
class Postpone:
    until: datetime
    reason: str


Verdict = Send | Suppress | Hold | Postpone


def decide(kind: str, facts: Facts, now: datetime) -> Verdict:
    if facts.contact_status is None:
        return Suppress("contact erased")
    if kind == TRANSACTIONAL:
        if facts.suppression in HARD_REASONS:
            return Suppress(f"address suppressed: {facts.suppression}")
        if facts.contact_status in ("bounced", "complained"):
            return Suppress(f"contact {facts.contact_status}")
        return Send()
    if facts.suppression is not None:
        return Suppress(f"address suppressed: {facts.suppression}")
    if facts.contact_status != "active":
        return Suppress(f"contact {facts.contact_status}")
    if facts.campaign_status != "active":
        return Hold()
    if facts.paused_until is not None and facts.paused_until > now:
        return Postpone(facts.paused_until, "the contact paused their emails")
    return Send()
