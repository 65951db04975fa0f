"""Helpers for the end-to-end worker tests: contacts, campaigns, a worker on a manual clock."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.campaigns.models import Delivery, Enrollment
from goteo.channels.base import EmailChannel, OutgoingEmail, Result
from goteo.channels.configured import build_channels
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.factory import email_channel
from goteo.channels.email.provider import EmailProvider
from goteo.config import email_settings
from goteo.engine.clock import ManualClock
from goteo.worker.claims import claim_enrollments
from goteo.worker.loop import Worker
from goteo.worker.scheduler import run_enrollments

# Wednesday 5 March 2025, 14:00 UTC: before any daylight-saving change in Europe or America.
T0 = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)


def make_worker(sink: SmtpSink, clock: ManualClock, **options: Any) -> Worker:
    """A worker in this process, sending to ``sink`` over SMTP, on ``clock``."""
    transport = email_channel(email_settings(f"{sink.url}?timeout=5"))
    channels = build_channels(transport, Composer(sender_from_settings()))
    return Worker(clock=clock, channels=channels, **options)


def run_now(worker: Worker) -> None:
    """Set the worker's manual clock to now and run it until nothing is due."""
    assert isinstance(worker.clock, ManualClock)
    worker.clock.set(datetime.now(UTC))
    worker.run_until_idle()


def close_worker(worker: Worker) -> None:
    """Release what the worker holds: its sending machinery and the SMTP connection."""
    worker.close()


def spy_on_email(worker: Worker, before_send: Callable[[OutgoingEmail], None]) -> SpyChannel:
    """Put a ``SpyChannel`` around the worker's email transport."""
    email = worker.channels["email"]
    assert isinstance(email, EmailProvider)
    spy = SpyChannel(email.transport, before_send)
    email.transport = spy
    return spy


class SpyChannel:
    """Wraps an email transport; calls ``before_send(message)`` before each message is handed
    over."""

    def __init__(self, inner: EmailChannel, before_send: Callable[[OutgoingEmail], None]) -> None:
        self.inner = inner
        self.before_send = before_send
        self.name = inner.name
        self.capabilities = inner.capabilities
        self.sent_to: list[str] = []

    def send(self, message: OutgoingEmail) -> Result:
        self.before_send(message)
        self.sent_to.append(message.to_addr)
        return self.inner.send(message)

    def close(self) -> None:
        self.inner.close()


def campaign_source(
    key: str,
    steps: list[dict[str, Any]],
    templates: Mapping[str, Mapping[str, Mapping[str, str]]],
    **extra: Any,
) -> str:
    """A campaign document (JSON, which the YAML loader reads as it is)."""
    doc: dict[str, Any] = {"key": key, "name": key.replace("-", " ").title(), **extra}
    doc["steps"] = steps
    doc["templates"] = templates
    return json.dumps(doc, ensure_ascii=False, indent=2)


def apply(key: str, steps: list[dict[str, Any]], templates: Any, **extra: Any) -> int:
    """Apply a campaign; returns the new version's number."""
    return do_apply_campaign(campaign_source(key, steps, templates, **extra)).version.number


def simple_template(subject: str, body: str | None = None) -> dict[str, dict[str, str]]:
    """One English variant; the body defaults to a greeting with an unsubscribe link."""
    html = body or (
        "<p>Hello {{ contact.first_name | default: 'there' }}</p>"
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    )
    return {"en": {"subject": subject, "html": html}}


def add_contacts(*rows: Mapping[str, Any]) -> dict[str, int]:
    """Create contacts through the action; returns email -> id."""
    return {row["email"]: do_upsert_contact(row).contact.id for row in rows}


def people(*names: str, domain: str = "example.com") -> dict[str, int]:
    """Plain English contacts ``name@domain`` with the name as first name."""
    return add_contacts(
        *({"email": f"{n}@{domain}", "first_name": n.title(), "locale": "en"} for n in names)
    )


def parse(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body_text(part: MIMEPart) -> str:
    """A text part's content with the wire's CRLF line ends as plain newlines."""
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None, "no HTML part"
    return body_text(part)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None, "no text part"
    return body_text(part)


def to_display_name(msg: EmailMessage) -> str:
    """The To header's display name, decoded as RFC 2047 section 6.2 requires.

    The whitespace between two adjacent encoded-words is not part of the text. Python's
    address-header parser (``msg["to"].addresses``) keeps it in a display name (CPython
    gh-128110), so a name long enough to need several encoded-words gains spaces there; the
    legacy decoder used here drops it, as mail clients do.
    """
    raw = next(value for name, value in msg.raw_items() if name.lower() == "to")
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", raw).strip()
    phrase = unfolded.rpartition("<")[0].strip()
    if not phrase or phrase.startswith('"'):
        return parseaddr(unfolded)[0]
    return str(make_header(decode_header(phrase)))


class Inbox:
    """What the SMTP server received, parsed; ``new()`` returns what arrived since last time."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.seen = 0

    def all(self) -> list[EmailMessage]:
        return [parse(raw) for _, _, raw in self.sink.messages]

    def new(self) -> list[EmailMessage]:
        fresh = self.sink.messages[self.seen :]
        self.seen = len(self.sink.messages)
        return [parse(raw) for _, _, raw in fresh]

    def recipients(self) -> list[str]:
        return [r for _, rcpts, _ in self.sink.messages for r in rcpts]


def subjects_by_recipient(messages: Iterable[EmailMessage]) -> dict[str, str]:
    found: dict[str, str] = {}
    for msg in messages:
        address = msg["to"].addresses[0].addr_spec
        assert address not in found, f"two messages to {address} in one pass"
        found[address] = str(msg["subject"])
    return found


def write_pending_deliveries(now: datetime) -> int:
    """Run the due steps only (as the worker's first half does): pending deliveries, unsent."""
    owner = "test-scheduler"
    written = 0
    while ids := claim_enrollments(owner, now, 500, 60.0):
        written += run_enrollments(ids, owner, now)
    return written


def deliveries_of(email: str) -> list[Delivery]:
    return list(Delivery.objects.filter(contact__email=email).order_by("id"))


def enrollment_of(email: str, key: str) -> Enrollment:
    return Enrollment.objects.select_related("version").get(contact__email=email, campaign__key=key)
