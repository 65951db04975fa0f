"""What ``goteo inbound`` does with a message for one of its signed addresses.

- ``bounces+<delivery>-<mac>@…`` names the delivery the report is about: a DSN applies to that
  delivery's address (never to an address the report names, which anyone could write), an
  ARF abuse report is a complaint about it. Stored with provider ``smtp-dsn`` or ``arf``.
- ``unsubscribe+<contact>-<mac>@…`` (the mailto in List-Unsubscribe, RFC 2369) unsubscribes
  the contact, as the unsubscribe page does. Stored with provider ``mailto``.

Each report is recorded once: its id is the digest of the address and the message (plus the
recipient block's number), so the same message delivered twice changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings

from goteo.actions.provider_events import do_record_event
from goteo.channels.email import verp
from goteo.inbound.dsn import ARF, DSN, Report, parse_report

RAW_LIMIT = 100_000  # characters of the message kept beside the event


@dataclass(frozen=True)
class Processed:
    address: str
    kind: str  # bounce | complaint | unsubscribe | report (kept, not acted on)
    recorded: int  # new events (0: seen before)


def accepts(address: str) -> bool:
    """Whether ``address`` is one of ours: a bounce or unsubscribe address with a valid mac."""
    return verp.decode(address, settings.SECRET_KEY) is not None


def _raw(address: str, data: bytes, report: Report | None) -> dict[str, Any]:
    text = data.decode("utf-8", "replace").replace("\x00", "")
    raw: dict[str, Any] = {"to": address, "message": text[:RAW_LIMIT]}
    if len(text) > RAW_LIMIT:
        raw["truncated"] = len(text)
    if report is not None:
        raw["report"] = {"kind": report.kind, "fields": report.fields}
    return raw


def _date(data: bytes) -> datetime | None:
    value = BytesHeaderParser().parsebytes(data).get("Date")
    try:
        return parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None


def process(address: str, data: bytes) -> Processed:
    """Apply one message sent to ``address``; raises ValueError for an address not ours."""
    decoded = verp.decode(address, settings.SECRET_KEY)
    if decoded is None:
        raise ValueError(f"{address!r} is not a signed Goteo address")
    kind, number = decoded
    # The same bytes sent to two of our addresses are two reports; sent twice to one, one.
    digest = hashlib.sha256(address.strip().lower().encode() + b"\n" + data).hexdigest()
    when = _date(data)
    if kind == "unsubscribe":
        new = do_record_event(
            "mailto", digest, "unsubscribed", "", "", "unsubscribed by mail",
            _raw(address, data, None), when, contact_id=number,
        )  # fmt: skip
        return Processed(address, "unsubscribe", int(new))
    report = parse_report(data)
    raw = _raw(address, data, report)
    if report.kind == ARF:
        event_type = "complained" if report.is_complaint else "unknown"
        new = do_record_event(
            "arf", digest, event_type, "", report.original_message_id,
            f"feedback report: {report.feedback_type or 'no type'}", raw, when,
            delivery_id=number,
        )  # fmt: skip
        return Processed(address, "complaint" if report.is_complaint else "report", int(new))
    if report.kind == DSN and report.recipients:
        recorded = 0
        for index, rcpt in enumerate(report.recipients):
            recorded += do_record_event(
                "smtp-dsn", f"{digest}:{index}", rcpt.event_type, "",
                report.original_message_id, rcpt.description, raw, when,
                severity=rcpt.bounce, delivery_id=number,
            )  # fmt: skip
        return Processed(address, "bounce", recorded)
    new = do_record_event(
        "smtp-dsn", digest, "unknown", "", report.original_message_id,
        f"not a delivery report: {report.subject}", raw, when, delivery_id=number,
    )  # fmt: skip
    return Processed(address, "report", int(new))
