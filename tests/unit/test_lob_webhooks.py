"""Print-API status webhooks: only genuine, current calls are read, and they are normalised."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from goteo.channels.direct_mail.lob_webhooks import BadWebhook, parse, sign, verify

SECRET = "whsec"
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
EVENT = {
    "id": "evt_1",
    "event_type": {"id": "letter.in_local_area"},
    "date_created": "2026-12-03T09:59:00.000Z",
    "reference_id": "ltr_0001",
    "body": {
        "id": "ltr_0001",
        "metadata": {"goteo_delivery": "41"},
        "expected_delivery_date": "2026-12-05",
    },
}
BODY = json.dumps(EVENT).encode()


def _headers(body: bytes = BODY, at: float = NOW.timestamp(), secret: str = SECRET) -> dict:
    stamp = str(int(at * 1000))
    return {"Lob-Signature": sign(secret, stamp, body), "Lob-Signature-Timestamp": stamp}


def test_a_genuine_call_is_normalised() -> None:
    verify(SECRET, _headers(), BODY, NOW)
    status = parse(BODY)
    assert (status.event_id, status.provider_id, status.delivery_id) == ("evt_1", "ltr_0001", 41)
    assert (status.status, status.event_type) == ("in_transit", "letter.in_local_area")
    assert status.occurred_at == datetime(2026, 12, 3, 9, 59, tzinfo=UTC)
    assert status.expected_in_home == date(2026, 12, 5)
    assert status.raw == EVENT


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, BODY, "not signed"),
        (_headers(secret="forged"), BODY, "does not match"),
        (_headers(), BODY.replace(b"41", b"42"), "does not match"),
        (_headers(at=NOW.timestamp() - 3600), BODY, "too old"),
    ],
)
def test_forged_tampered_or_replayed_calls_are_refused(
    headers: dict[str, str], body: bytes, reason: str
) -> None:
    with pytest.raises(BadWebhook, match=reason):
        verify(SECRET, headers, body, NOW)


@pytest.mark.parametrize(
    ("kind", "status"),
    [("postcard.delivered", "delivered"), ("letter.returned_to_sender", "returned"),
     ("letter.mailed", "mailed"), ("letter.something_new", "unknown")],
)  # fmt: skip
def test_event_types_map_to_statuses(kind: str, status: str) -> None:
    assert parse(json.dumps({**EVENT, "event_type": {"id": kind}}).encode()).status == status


def test_malformed_bodies_are_named() -> None:
    with pytest.raises(BadWebhook, match="not JSON"):
        parse(b"{")
    with pytest.raises(BadWebhook, match="no event object"):
        parse(b'{"id": "evt"}')
