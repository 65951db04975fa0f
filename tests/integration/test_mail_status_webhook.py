"""The print provider's status webhook: forged calls change nothing, genuine ones update the
mailer's delivery once."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from tests.integration.test_attribution import CAMPAIGN, sent

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.enroll import do_enroll
from goteo.campaigns.exposures import ROW_FIELDS, record_touches, sent_touch
from goteo.campaigns.models import Delivery, DeliveryStatus, Enrollment, Exposure
from goteo.channels.direct_mail.lob_webhooks import sign
from goteo.contacts.models import ProviderEvent

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "whsec_test"
PATH = "/webhooks/mail/status"
T = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def mailer(settings: Any) -> Delivery:
    settings.GOTEO_MAIL_WEBHOOK_SECRET = SECRET
    do_apply_campaign(CAMPAIGN.format(key="autumn"))
    ana = do_upsert_contact({"email": "ana@example.com"}).contact
    do_enroll("autumn", [ana.id], T)
    delivery = sent(Enrollment.objects.get(), "postcard", T, links=[])
    Delivery.objects.filter(id=delivery.id).update(channel="mail")
    return delivery


def _event(delivery: Delivery, kind: str, event_id: str = "evt_1") -> bytes:
    body = {"id": event_id, "event_type": {"id": f"postcard.{kind}"},
            "date_created": "2026-03-11T08:00:00.000Z",
            "body": {"id": "psc_1", "metadata": {"goteo_delivery": str(delivery.id)},
                     "expected_delivery_date": "2026-03-16"}}  # fmt: skip
    return json.dumps(body).encode()


def _signed(body: bytes, secret: str = SECRET, stamp: str = "") -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    return {"Lob-Signature": sign(secret, stamp, body), "Lob-Signature-Timestamp": stamp}


def _post(body: bytes, secret: str = SECRET, stamp: str = "", sent: bytes = b"") -> Any:
    """Post ``sent`` (``body`` when empty) under the signature of ``body``."""
    headers = _signed(body, secret, stamp)
    return Client().post(PATH, sent or body, content_type="application/json", headers=headers)


def test_a_genuine_report_updates_the_delivery_once(mailer: Delivery) -> None:
    body = _event(mailer, "in_local_area")
    first = _post(body)
    assert (first.status_code, first.json()) == (200, {"status": "in_transit", "recorded": True})
    assert _post(body).json()["recorded"] is False  # the same event again changes nothing
    mailer.refresh_from_db()
    assert (mailer.status, mailer.expected_in_home) == (DeliveryStatus.SENT, date(2026, 3, 16))
    event = ProviderEvent.objects.get()
    assert (event.provider, event.event_type, event.delivery_id) == ("lob", "in_transit", mailer.id)


def test_a_failed_mailer_is_marked_failed_with_the_reason(mailer: Delivery) -> None:
    assert _post(_event(mailer, "failed", "evt_2")).status_code == 200
    mailer.refresh_from_db()
    assert mailer.status == DeliveryStatus.FAILED
    assert mailer.last_error == "the print provider could not print or mail it"


def _expected_in_home(mailer: Delivery) -> None:
    """The mailer's exposure as the worker records it when it goes out."""
    row = Delivery.objects.filter(id=mailer.id).values(*ROW_FIELDS).get()
    touch = sent_touch(row, T, in_home=date(2026, 3, 16))
    assert touch is not None
    record_touches([touch])


def test_the_ledger_follows_the_reports_delivered_with_its_date_or_withdrawn(
    mailer: Delivery,
) -> None:
    _expected_in_home(mailer)
    assert list(Exposure.objects.values_list("kind", "occurred_at")) == [
        ("in_home", datetime(2026, 3, 16, tzinfo=UTC))
    ]
    assert _post(_event(mailer, "in_transit", "evt_1")).status_code == 200  # no change yet
    assert Exposure.objects.get().kind == "in_home"
    assert _post(_event(mailer, "delivered", "evt_2")).status_code == 200
    exposure = Exposure.objects.get()
    assert (exposure.kind, exposure.channel, exposure.step_id, exposure.delivery_id) == (
        "delivered", "mail", "postcard", mailer.id,
    )  # fmt: skip
    assert exposure.occurred_at == datetime(2026, 3, 11, 8, 0, tzinfo=UTC)  # the report's date
    # A mailer that came back was never in front of the contact; a delivered one stays.
    assert _post(_event(mailer, "returned_to_sender", "evt_3")).status_code == 200
    assert Exposure.objects.get().kind == "delivered"
    Exposure.objects.all().delete()
    _expected_in_home(mailer)
    assert _post(_event(mailer, "returned_to_sender", "evt_4")).status_code == 200
    assert not Exposure.objects.exists()


@pytest.mark.parametrize("forgery", ["wrong secret", "altered", "replayed", "unsigned"])
def test_forged_reports_are_refused_and_change_nothing(mailer: Delivery, forgery: str) -> None:
    body = _event(mailer, "failed")
    if forgery == "wrong secret":
        answer = _post(body, secret="guess")
    elif forgery == "altered":
        answer = _post(body, sent=body.replace(b"failed", b"delivered"))
    elif forgery == "replayed":
        answer = _post(body, stamp=str(int(time.time()) - 3600))
    else:
        answer = Client().post(PATH, body, content_type="application/json")
    assert answer.status_code == 403
    mailer.refresh_from_db()
    assert (mailer.status, mailer.expected_in_home, mailer.last_error) == (
        DeliveryStatus.SENT, None, "",
    )  # fmt: skip
    assert not ProviderEvent.objects.exists()
    assert not Exposure.objects.exists()
