"""Reading a returned message: a delivery status notification or a complaint report.

- **DSN** (RFC 3464): ``multipart/report; report-type=delivery-status``. Its
  ``message/delivery-status`` part holds one block per recipient with ``Action`` (failed,
  delayed, delivered, relayed, expanded) and ``Status`` (``5.x.x`` permanent, ``4.x.x``
  temporary); the returned message or its headers follow, with the original Message-ID.
- **ARF** (RFC 5965): ``multipart/report; report-type=feedback-report``, whose
  ``message/feedback-report`` part says ``Feedback-Type: abuse`` for a spam complaint.

Pure: bytes in, a ``Report`` out; no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser

from goteo.channels.email.bounce_status import SOFT, severity, status_code

DSN, ARF, OTHER = "dsn", "arf", "other"


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a DSN."""

    final_recipient: str
    original_recipient: str
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str  # the enhanced status code, "5.1.1"
    diagnostic: str  # Diagnostic-Code, "smtp; 550 5.1.1 <ana@…>: user unknown"

    @property
    def event_type(self) -> str:
        """In anymail's vocabulary: bounced, deferred, delivered or unknown."""
        return {"failed": "bounced", "delayed": "deferred", "delivered": "delivered"}.get(
            self.action, "unknown"
        )

    @property
    def bounce(self) -> str:
        """``hard`` (5.x.x), ``soft`` (4.x.x) or ``""``: a failure's kind."""
        if self.action != "failed":
            return ""
        return severity(self.status) or severity(self.diagnostic) or SOFT

    @property
    def description(self) -> str:
        return "; ".join(p for p in (self.status, self.diagnostic) if p)


@dataclass(frozen=True)
class Report:
    kind: str  # dsn | arf | other
    subject: str = ""
    original_message_id: str = ""
    recipients: tuple[RecipientStatus, ...] = ()
    feedback_type: str = ""  # ARF: abuse, fraud, virus, not-spam, other
    complained_recipient: str = ""  # ARF: Original-Rcpt-To
    fields: dict[str, str] = field(default_factory=dict)  # per-message DSN or ARF fields

    @property
    def is_complaint(self) -> bool:
        return self.kind == ARF and self.feedback_type == "abuse"


def _address(value: str) -> str:
    """``rfc822; ana@example.com`` → ``ana@example.com``."""
    _, sep, rest = value.partition(";")
    return (rest if sep else value).strip().strip("<>").strip()


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a ``message/*`` report part, however the parser left them."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    if part.get("Content-Transfer-Encoding", "").lower() in ("base64", "quoted-printable"):
        raw = part.get_payload(decode=True)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else text
    chunks = [c for c in text.replace("\r\n", "\n").split("\n\n") if c.strip()]
    return [HeaderParser().parsestr(c) for c in chunks]


def _returned_message_id(message: Message) -> str:
    """The Message-ID of the original, from ``message/rfc822`` or ``text/rfc822-headers``."""
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            for inner in _blocks(part)[:1]:
                return str(inner.get("Message-ID", "")).strip()
        elif ctype in ("text/rfc822-headers", "text/global-headers"):
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            return str(HeaderParser().parsestr(text).get("Message-ID", "")).strip()
    return ""


def _recipient(block: Message) -> RecipientStatus:
    return RecipientStatus(
        final_recipient=_address(str(block.get("Final-Recipient", ""))),
        original_recipient=_address(str(block.get("Original-Recipient", ""))),
        action=str(block.get("Action", "")).strip().lower().split(" ")[0],
        status=status_code(str(block.get("Status", ""))),
        diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split()),
    )


def _report_part(message: Message, ctype: str) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == ctype:
            return part
    return None


def parse_report(data: bytes) -> Report:
    """Read a DSN or an ARF report; anything else is ``other`` (kept, never acted on)."""
    message = BytesParser(policy=policy.compat32).parsebytes(data)
    subject = " ".join(str(message.get("Subject", "")).split())
    report_type = (message.get_param("report-type") or "") if message.is_multipart() else ""
    report_type = str(report_type).lower()
    status_part = _report_part(message, "message/delivery-status")
    if status_part is not None and report_type in ("delivery-status", ""):
        blocks = _blocks(status_part)
        recipients = tuple(_recipient(b) for b in blocks if b.get("Action"))
        first = blocks[0] if blocks and not blocks[0].get("Action") else None
        per_message = {k: str(v) for k, v in first.items()} if first is not None else {}
        return Report(DSN, subject, _returned_message_id(message), recipients, fields=per_message)
    feedback = _report_part(message, "message/feedback-report")
    if feedback is not None:
        blocks = _blocks(feedback)
        fields = dict(blocks[0].items()) if blocks else {}
        return Report(
            ARF,
            subject,
            _returned_message_id(message),
            feedback_type=str(fields.get("Feedback-Type", "")).strip().lower(),
            complained_recipient=_address(str(fields.get("Original-Rcpt-To", ""))),
            fields={k: str(v) for k, v in fields.items()},
        )
    return Report(OTHER, subject, _returned_message_id(message))
