"""Status webhooks of the print-and-mail API: authenticated, then normalised.

The provider signs each call as Lob does: ``Lob-Signature`` is the hex HMAC-SHA256, under the
webhook's secret, of ``<Lob-Signature-Timestamp>.<raw body>``. A call is accepted only with a
valid signature and a timestamp within five minutes of now (a replayed call is refused), and
is normalised to Goteo's mail statuses, with the raw payload kept beside them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

TOLERANCE = 300  # seconds
# The provider's event types -> Goteo's mail statuses (the ledger and reports read these).
STATUSES = {
    "created": "accepted",
    "rendered_pdf": "accepted",
    "rendered_thumbnails": "accepted",
    "mailed": "mailed",
    "in_transit": "in_transit",
    "in_local_area": "in_transit",
    "re-routed": "in_transit",
    "processed_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "returned_to_sender": "returned",
    "international_exit": "in_transit",
    "deleted": "cancelled",
    "failed": "failed",
    "rejected": "failed",
}


class BadWebhook(ValueError):
    """The call is not a genuine, current status event; the message says why."""


@dataclass(frozen=True)
class MailStatus:
    event_id: str
    provider_id: str  # the letter's or postcard's id at the provider
    delivery_id: int | None  # from the metadata Goteo sent
    status: str  # one of STATUSES' values, or "unknown"
    event_type: str  # the provider's own name for it
    occurred_at: datetime | None
    expected_in_home: date | None
    raw: dict[str, Any]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """Raise BadWebhook unless the call is signed with ``secret`` and current."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("lob-signature-timestamp", "")
    signature = lowered.get("lob-signature", "")
    if not secret:
        raise BadWebhook("no webhook secret configured")
    if not timestamp or not signature:
        raise BadWebhook("the call is not signed")
    if not hmac.compare_digest(signature, sign(secret, timestamp, body)):
        raise BadWebhook("the signature does not match")
    try:
        sent = float(timestamp)
    except ValueError:
        raise BadWebhook(f"{timestamp!r} is not a timestamp") from None
    sent = sent / 1000 if sent > 1e11 else sent  # milliseconds or seconds
    if abs(now.timestamp() - sent) > TOLERANCE:
        raise BadWebhook("the call is too old (or from the future): replays are refused")


def parse(body: bytes) -> MailStatus:
    """The normalised status event of a verified call; BadWebhook for a malformed one."""
    try:
        data = json.loads(body)
    except ValueError:
        raise BadWebhook("the body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("body"), dict):
        raise BadWebhook("the body has no event object")
    kind = data.get("event_type")
    event_type = str(kind.get("id", "") if isinstance(kind, dict) else kind or "")
    item: dict[str, Any] = data["body"]
    metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    delivery = str((metadata or {}).get("goteo_delivery", ""))
    return MailStatus(
        event_id=str(data.get("id", "")),
        provider_id=str(item.get("id") or data.get("reference_id") or ""),
        delivery_id=int(delivery) if delivery.isdigit() else None,
        status=STATUSES.get(event_type.split(".", 1)[-1], "unknown"),
        event_type=event_type,
        occurred_at=_time(data.get("date_created")),
        expected_in_home=_day(item.get("expected_delivery_date")),
        raw=data,
    )


def _time(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
