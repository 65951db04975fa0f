"""The last word before a message leaves: send it, suppress it, hold it, or postpone it.

The facts are read right before sending, with the contact locked (``claims.send_facts``); the
decision itself is pure, so it is tested without a database. Marketing messages are also paced
(``engine/pacing.py``): a frequency cap shared by every campaign, where higher priorities take
the slots first, and quiet hours on the contact's wall clock. See docs/pacing.md. Every
channel's messages pass here, notifications, webhooks and social posts included
(docs/channels.md), and test sends to seed addresses (docs/console.md); an SMS also needs the
contact's own SMS consent (docs/sms.md). A mailer of a campaign with a postage budget goes only
if its price keeps the campaign within it; otherwise the campaign is paused
(docs/direct-mail.md#the-postage-budget).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from goteo.campaigns.delivery_kinds import AUDIENCE, NOTIFICATION, TEST, TRANSACTIONAL, WEBHOOK
from goteo.channels.base import Price
from goteo.contacts.suppression_keys import HARD_REASONS
from goteo.engine.pacing import Pacing, cap_allows, next_allowed
from goteo.engine.postage import PostageBudget, money
from goteo.engine.window import zone


@dataclass(frozen=True)
class Postage:
    """A mailer of a campaign with a postage budget: the budget, what the campaign's other
    mailers have committed (sent, or in flight), and this one's price (None: why in
    ``unpriced``)."""

    budget: PostageBudget
    spent: Decimal
    price: Price | None
    unpriced: str = ""


@dataclass(frozen=True)
class Facts:
    contact_status: str | None  # None: the contact no longer exists
    paused_until: datetime | None
    campaign_status: str | None  # None for transactional messages
    suppression: str | None  # the reason, if the address is on the suppression list
    # For pacing (read only when a frequency cap is set):
    timezone: str = ""  # the contact's; empty means UTC
    recent_sends: tuple[datetime, ...] = ()  # its marketing messages sent within the cap's period
    ahead: int = 0  # its other due marketing messages that go first (higher priority, or older)
    # Why the contact's consent for this message's channel is missing (an SMS needs the
    # contact's own SMS consent: goteo.contacts.channel_consent); None: nothing missing.
    consent_refusal: str | None = None
    # A mailer of a campaign with a postage budget (read with the campaign's row locked).
    postage: Postage | None = None


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


@dataclass(frozen=True)
class PauseCampaign:
    """Give the message back unsent (not an attempt) and pause its campaign, for ``reason``:
    the mailer would take its postage past the budget."""

    reason: str


Verdict = Send | Suppress | Hold | Postpone | PauseCampaign


NO_PACING = Pacing()


def decide(kind: str, facts: Facts, now: datetime, pacing: Pacing = NO_PACING) -> Verdict:
    if facts.contact_status is None:
        return Suppress("contact erased")
    if kind in (NOTIFICATION, WEBHOOK, AUDIENCE):  # to our own side, or to the public
        if facts.campaign_status not in (None, "active"):
            return Hold()  # a campaign's notify, webhook or social step, paused meanwhile
        return Send()
    if kind == TEST:  # to a seed address, not to the sample contact it is rendered for
        if facts.suppression is not None:
            return Suppress(f"seed address suppressed: {facts.suppression}")
        return Send()
    if facts.consent_refusal is not None:
        return Suppress(facts.consent_refusal)
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
    verdict = _paced(facts, now, pacing) if pacing.active else Send()
    if isinstance(verdict, Send) and facts.postage is not None:
        return _within_budget(facts.postage)
    return verdict


def _within_budget(postage: Postage) -> Send | PauseCampaign:
    """Send the mailer if its price keeps the campaign within its budget (reaching it is
    within); a mailer whose price cannot be known cannot be kept within it."""
    budget, price = postage.budget, postage.price
    if price is None:
        return PauseCampaign(f"postage budget: {postage.unpriced}")
    if price.currency != budget.currency:
        return PauseCampaign(
            f"postage budget: the budget is in {budget.currency}, "
            f"mailers are priced in {price.currency}"
        )
    if postage.spent + price.amount > budget.budget:
        spent = money(postage.spent, budget.currency)
        return PauseCampaign(f"postage budget spent: {spent} of {budget}")
    return Send()


def _paced(facts: Facts, now: datetime, pacing: Pacing) -> Verdict:
    """Send now, or postpone to the earliest moment the cap and the quiet hours allow.

    The messages that go first are counted as if sent now: they take the next free slots.
    """
    tz = zone(facts.timezone or None)
    cap, quiet = pacing.cap, pacing.quiet
    if cap is not None:
        taken = (*facts.recent_sends, *(now,) * facts.ahead)
        if not cap_allows(now, taken, cap):
            if cap_allows(now, facts.recent_sends, cap):
                reason = f"frequency cap {cap}: the free slots go to messages ahead in priority"
            else:
                reason = f"frequency cap {cap} reached"
            return Postpone(next_allowed(now, taken, cap, quiet, tz), reason)
    if quiet is not None and not quiet.window.contains(now, tz):
        return Postpone(quiet.window.next_open(now, tz), f"quiet hours {quiet}")
    return Send()
