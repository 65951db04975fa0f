"""Refused webhooks: the malformed inputs that once failed the server, the one log line each
refusal writes, and the WARNING when a provider's secret fails repeatedly."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from tests.integration.bounce_helpers import campaign, sent_delivery, webhook_state
from tests.integration.webhook_requests import (
    BASIC_AUTH,
    MAILGUN_KEY,
    RECIPIENT,
    Request,
    _auth,
    _hex_hmac,
    anymail_settings,
    genuine,
    payload_text,
)

from goteo.web.webhooks.refusals import FAILURES, RepeatedFailures


@pytest.fixture
def hooks(settings: Any) -> None:
    settings.ANYMAIL = anymail_settings()
    settings.GOTEO_WEBHOOK_MAX_AGE = 300


def post(request: Request) -> Any:
    client = Client(raise_request_exception=False)
    return client.generic(
        "POST", request.path, request.body, request.content_type, headers=request.headers
    )


def _mailgun_signed_at(timestamp: str, message_id: str) -> Request:
    """A Mailgun bounce whose signature block says ``timestamp``, correctly signed."""
    data = json.loads(payload_text("mailgun_bounce.json", message_id))
    block = data["signature"]
    block["timestamp"] = timestamp
    block["signature"] = _hex_hmac(MAILGUN_KEY, (timestamp + block["token"]).encode())
    path = "/webhooks/mailgun/tracking/"
    return Request(path, json.dumps(data).encode(), headers=_auth(BASIC_AUTH))


@pytest.mark.django_db
@pytest.mark.parametrize("timestamp", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
@pytest.mark.parametrize("max_age", [300, 0])
def test_a_mailgun_timestamp_that_is_not_a_number_is_refused(
    settings: Any, timestamp: str, max_age: int
) -> None:
    settings.ANYMAIL = anymail_settings()
    settings.GOTEO_WEBHOOK_MAX_AGE = max_age
    delivery = sent_delivery(RECIPIENT, campaign())
    before = webhook_state()
    response = post(_mailgun_signed_at(timestamp, delivery.message_id))
    assert response.status_code == 400, response.content
    assert webhook_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [b"not json", b"", b"[", b"\xff\xfe", b"NaN", b'[{"event": "bounce"', b"[" * 5000]
)
def test_a_sendgrid_body_that_is_not_json_is_refused(settings: Any, body: bytes) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": [BASIC_AUTH]}  # basic auth only: no signature
    sent_delivery(RECIPIENT, campaign())
    before = webhook_state()
    request = Request("/webhooks/sendgrid/tracking/", body, headers=_auth(BASIC_AUTH))
    response = post(request)
    assert response.status_code == 400, response.content
    assert response.content.startswith(b"refused: body: ")
    assert webhook_state() == before


@pytest.mark.django_db
def test_an_inbound_payload_on_the_tracking_url_is_refused(hooks: None) -> None:
    text = json.dumps({"items": [{"Uuid": ["x"], "Subject": "hello"}]})
    request = Request("/webhooks/brevo/tracking/", text.encode(), headers=_auth(BASIC_AUTH))
    response = post(request)
    assert response.status_code == 400
    assert b"inbound" in response.content


@pytest.mark.django_db
def test_an_oversized_body_is_refused_unread(hooks: None, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps([{"event": "bounce", "email": RECIPIENT, "pad": "x" * 2000}]).encode()
    request = Request("/webhooks/sendgrid/tracking/", body, headers=_auth(BASIC_AUTH))
    assert post(request).status_code == 413


@pytest.mark.django_db
def test_a_malformed_event_names_its_field(hooks: None) -> None:
    body = json.dumps([{"event": "bounce", "timestamp": "yesterday"}]).encode()
    request = Request("/webhooks/sparkpost/tracking/", body, headers=_auth(BASIC_AUTH))
    response = post(request)
    assert response.status_code == 400
    assert response.content == b"refused: $[0]: msys is missing\n"


@pytest.mark.django_db
def test_each_refusal_is_one_line_at_info_without_a_traceback(
    hooks: None, caplog: pytest.LogCaptureFixture
) -> None:
    FAILURES.forget()
    delivery = sent_delivery(RECIPIENT, campaign())
    wrong = genuine("postmark", "postmark_bounce.json", delivery.message_id, auth="x:guessed")
    malformed = Request("/webhooks/postmark/tracking/", b"not json", headers=_auth(BASIC_AUTH))
    with caplog.at_level(logging.DEBUG):
        assert post(wrong).status_code == 400
        assert post(malformed).status_code == 400
    lines = [(r.name, r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert lines == [
        (
            "goteo.webhooks",
            "INFO",
            "postmark webhook refused: Missing or invalid basic auth in Anymail Postmark webhook",
            None,
        ),
        ("goteo.webhooks", "INFO", "postmark webhook refused: body: not JSON "
         "(Expecting value at line 1)", None),
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_secret_failing_repeatedly_is_one_warning_per_window(
    hooks: None, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    FAILURES.forget()
    settings.GOTEO_WEBHOOK_WARN_AFTER = 3
    settings.GOTEO_WEBHOOK_WARN_WINDOW = 300
    delivery = sent_delivery(RECIPIENT, campaign())
    wrong = genuine("brevo", "brevo_bounce.json", delivery.message_id, auth="x:guessed")
    other = genuine("mailjet", "mailjet_bounce.json", delivery.message_id, auth="x:guessed")
    with caplog.at_level(logging.INFO, logger="goteo.webhooks"):
        for _ in range(6):
            assert post(wrong).status_code == 400
        assert post(other).status_code == 400
    levels = [(r.getMessage().split()[0], r.levelname) for r in caplog.records]
    assert levels == [("brevo", "INFO")] * 2 + [("brevo", "WARNING")] + [("brevo", "INFO")] * 3 + [
        ("mailjet", "INFO")
    ]
    warning = caplog.records[2].getMessage()
    assert warning.startswith("brevo webhook: 3 refused requests in 300 s (latest: Missing")


def test_the_warning_comes_again_only_after_a_quiet_window() -> None:
    now = [1000.0]
    failures = RepeatedFailures(clock=lambda: now[0])
    seen = []
    for step in range(12):
        now[0] = 1000.0 + step * 50  # one refusal every 50 s
        seen.append(failures.note("mailgun", 3, 120))
    # 3 within 120 s first at the third; then at most one warning per 120 s
    assert seen[:3] == [None, None, 3]
    assert [n for n in seen if n is not None] == [3, 3, 3, 3]
    assert failures.note("postal", 3, 120) is None  # counted per provider
