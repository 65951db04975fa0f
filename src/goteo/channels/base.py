"""The channel protocol: thin providers on a fat base.

The worker owns this interface. A channel is a provider with a name, its declared
capabilities and two steps: ``prepare`` turns one outbox row (a ``Draft``: the step's template,
the contact, the campaign) into the channel's payload, and ``deliver`` sends one prepared
message (keeping its connection open between calls) and answers with a typed result:
delivered, retryable (try again later; ``Throttled`` when the provider asked us to slow down)
or permanent (never retry). Everything else (claims and
leases, the send-time gate, retry timing, recording each result at once) is the worker's, the
same for every channel, so a crash can leave at most the one in-flight message per connection
unrecorded. Adding a channel is one module: see docs/channels.md. The capability names are
in ``goteo.engine.channel_needs``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from goteo.engine.model import Campaign


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered email, ready to be assembled and sent."""

    delivery_id: int
    message_id: str  # deterministic: the same delivery always carries the same Message-ID
    from_addr: str  # "Name <addr>" or "addr"
    to_addr: str
    to_name: str
    subject: str
    html: str
    text: str
    headers: Mapping[str, str] = field(default_factory=dict)
    # The envelope sender (bounces come back to it); the From address when empty.
    return_path: str = ""
    # Marketing messages with click tracking: the original URLs, in the order their tracking
    # links name them (saved on the delivery, so a redirect only goes where the message did).
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delivered:
    delivery_id: int
    detail: str = ""
    # What the provider made, when it says (a post's address): recorded as the delivery's
    # message_id in place of the prepared one.
    reference: str = ""
    provider_id: str = ""  # the provider's own id for the message, when it gives one
    expected_in_home: date | None = None  # mailers: when the provider expects it delivered


@dataclass(frozen=True)
class Retryable:
    delivery_id: int
    reason: str


@dataclass(frozen=True)
class Throttled(Retryable):
    """The provider refused the message for now because we send too fast (HTTP 429, SMTP 421
    or a 4.7.x rate limit): retried later without using up an attempt, and the worker slows
    the channel down. ``retry_after``: the provider's hint in seconds (``Retry-After``), if any.
    A provider that does not tell throttling apart answers a plain ``Retryable``."""

    retry_after: float | None = None


@dataclass(frozen=True)
class Permanent:
    delivery_id: int
    reason: str


Result = Delivered | Retryable | Permanent


@dataclass(frozen=True)
class Draft:
    """One outbox row as ``prepare`` sees it."""

    delivery_id: int
    kind: str  # goteo.campaigns.delivery_kinds
    campaign: Campaign  # the enrollment's version, or the system messages
    template: str
    locale: str
    contact: Mapping[str, Any]  # id, email, names, locale, timezone, attributes
    context: Mapping[str, Any]  # what the step stored with the row (coupon, event, url, …)
    attempt: int = 1  # > 1: an earlier attempt may have reached the provider


@dataclass(frozen=True)
class Price:
    """What sending one message costs (a mailer's postage), in an ISO 4217 currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Prepared:
    """A message ready for ``deliver``, with what the worker records about it."""

    delivery_id: int
    payload: Any  # the channel's own: an OutgoingEmail, a webhook call, …
    to_address: str  # where it goes, as recorded on the delivery
    # The suppression list's key for the recipient (goteo.contacts.suppression_keys), or
    # None when the channel does not reach a personal address.
    address_hash: str | None = None
    subject: str = ""
    message_id: str = ""
    links: tuple[str, ...] = ()
    segments: int = 0  # the parts an SMS goes as (each billed as one); 0: not counted
    # What it costs, for a channel that prices its messages (mail: docs/direct-mail.md);
    # when such a message has no price, ``unpriced`` says why.
    price: Price | None = None
    unpriced: str = ""


class PrepareError(ValueError):
    """The row cannot become a message (a template that fails, no recipient): it fails, with
    this reason, and is never retried."""


class Skip(PrepareError):
    """The contact cannot be reached on this channel (a mailer with no usable postal address):
    the row ends suppressed, with this reason, and is never retried."""


class Channel(Protocol):
    name: str
    capabilities: frozenset[str]

    def prepare(self, draft: Draft) -> Prepared:
        """Render the row for this channel; raises ``PrepareError``. Runs in the worker's
        main thread, ahead of the message on the wire."""
        ...

    def deliver(self, message: Prepared) -> Result:
        """Send one message. Never raises for a delivery problem: it returns a result."""
        ...

    def close(self) -> None:
        """Release connections; the channel may be used again afterwards (it reconnects)."""
        ...


Ready = Callable[[], bool]  # waits for the gate's verdict: True to send, False to abandon


def deliver_when_ready(channel: Channel, message: Prepared, ready: Ready) -> Result | None:
    """Deliver ``message`` once ``ready()`` says so; None when it says not to.

    A provider whose exchange has steps before the point of no return (SMTP's envelope) does
    them while the gate is still deciding, by offering ``deliver_when(message, ready)``: it
    calls ``ready()`` right before the message would become the receiver's, and abandons the
    exchange when it answers False. Any other provider is asked first and sends after."""
    split = getattr(channel, "deliver_when", None)
    if split is not None:
        result: Result | None = split(message, ready)
        return result
    if not ready():
        return None
    return channel.deliver(message)


class EmailChannel(Protocol):
    """An email transport (SMTP, a Django mail backend) behind the email channel."""

    name: str
    capabilities: frozenset[str]

    def send(self, message: OutgoingEmail) -> Result:
        """Send one message. Never raises for a delivery problem: it returns a result."""
        ...

    def close(self) -> None:
        """Release connections; the channel may be used again afterwards (it reconnects)."""
        ...
