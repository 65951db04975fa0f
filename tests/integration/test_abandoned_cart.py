"""The abandoned-cart example end to end: the events API, the worker, a real SMTP server,
coupons, the goal and the revenue credited to the step that earned it (SQLite, PostgreSQL).

The shop's events come in through ``POST /api/v1/events`` (Django's test client, the real
HTTP stack); the worker runs in this process against an SMTP server on loopback. Both run on
one virtual clock: the worker is handed a ``ManualClock``, and the web layer, which reads
Django's clock, is pointed at the same one (``shared_clock``), so a day passes in a moment
and an event posted "25 hours later" is stamped 25 hours later.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.integration.flow_helpers import (
    T0,
    Inbox,
    add_contacts,
    close_worker,
    deliveries_of,
    enrollment_of,
    html_of,
    make_worker,
    text_of,
)
from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_apply_campaign
from goteo.campaigns import journey_clock
from goteo.campaigns.models import (
    Conversion,
    Coupon,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
)
from goteo.contacts.models import Event
from goteo.engine.clock import ManualClock
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "abandoned-cart.yaml"
AUTH = {"Authorization": "Bearer test-api-key"}  # tests/settings.py: GOTEO_API_KEY
CART_URL = "https://shop.example.com/cart/c-8842"
CODE = re.compile(r"\bCART-[A-Z2-9]{8}\b")
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    clock = ManualClock(T0)
    # The events API stamps events on the journeys' clock: here, the worker's virtual one.
    with journey_clock.running_on(clock):
        yield clock


@pytest.fixture
def worker(smtp_sink: SmtpSink, clock: ManualClock) -> Iterator[Worker]:
    w = make_worker(smtp_sink, clock)
    yield w
    close_worker(w)


@pytest.fixture
def inbox(smtp_sink: SmtpSink) -> Inbox:
    return Inbox(smtp_sink)


@pytest.fixture
def ana() -> int:
    do_apply_campaign(EXAMPLE.read_text(encoding="utf-8"))
    return add_contacts({"email": "ana@example.com", "first_name": "Ana", "locale": "es"})[
        "ana@example.com"
    ]


def post_event(client: Client, name: str, **properties: Any) -> int:
    """Send one event for Ana through the events API; returns the stored event's id."""
    body = {"name": name, "email": "ana@example.com", "properties": properties}
    response = client.post(
        "/api/v1/events", data=body, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 200, response.content
    (result,) = response.json()["results"]
    assert result["status"] == "stored", result
    event_id: int = result["id"]
    return event_id


def run_at(worker: Worker, clock: ManualClock, delta: timedelta) -> None:
    clock.advance(delta)
    worker.run_until_idle()


def test_two_reminders_then_the_coupon_purchase_converts_and_credits_the_step(
    client: Client, worker: Worker, clock: ManualClock, inbox: Inbox, ana: int
) -> None:
    cart_id = post_event(client, "added_to_cart", cart_url=CART_URL, product_name="una camisa")
    journey = enrollment_of("ana@example.com", "abandoned-cart")
    assert (journey.status, journey.enrolled_at) == (EnrollmentStatus.ACTIVE, T0)
    assert journey.state["event"]["id"] == cart_id

    worker.run_until_idle()  # the first wait starts; nothing is sent yet
    run_at(worker, clock, HOUR - timedelta(minutes=1))
    assert inbox.new() == []

    # One hour without a purchase: the first reminder, in Spanish, with the cart's own link.
    run_at(worker, clock, timedelta(minutes=1))
    (reminder,) = inbox.new()
    assert reminder["to"].addresses[0].addr_spec == "ana@example.com"
    assert str(reminder["subject"]) == "Te dejaste algo en el carrito"
    assert "una camisa" in html_of(reminder)
    (first,) = deliveries_of("ana@example.com")
    assert (first.step_id, first.status) == ("reminder", DeliveryStatus.SENT)
    assert first.links == [CART_URL]  # the message links to it through click tracking
    (tracked,) = re.findall(r'href="http://testserver(/l/[^"]+)"', html_of(reminder))
    assert client.get(tracked)["Location"] == CART_URL  # Ana clicks, looks, and leaves
    assert not CODE.search(html_of(reminder)) and not Coupon.objects.exists()

    # Still no purchase 24 hours later: the second reminder carries a code of Ana's own.
    run_at(worker, clock, 24 * HOUR - timedelta(minutes=1))
    assert inbox.new() == []
    run_at(worker, clock, timedelta(minutes=1))
    (second,) = inbox.new()
    assert str(second["subject"]) == "Un 10% de descuento en lo que te espera en el carrito"
    codes = set(CODE.findall(html_of(second)))
    assert codes == set(CODE.findall(text_of(second))) and len(codes) == 1
    (code,) = codes
    coupon = Coupon.objects.get(contact_id=ana)
    assert coupon.code == code
    assert (coupon.step_id, coupon.percent_off) == ("coupon-reminder", Decimal(10))
    assert coupon.campaign_id == journey.campaign_id and coupon.enrollment_id == journey.id
    assert (coupon.issued_at, coupon.expires_at) == (clock.now(), clock.now() + 7 * DAY)
    assert coupon.redeemed_at is None
    assert (clock.now() + 7 * DAY).date().isoformat() in html_of(second)
    coupon_delivery = deliveries_of("ana@example.com")[1]
    assert (coupon_delivery.step_id, coupon_delivery.context["coupon"]["code"]) == (
        "coupon-reminder",
        code,
    )

    # Two hours later Ana buys with the code: the coupon, not the earlier click, earns the credit.
    clock.advance(2 * HOUR)
    purchase_id = post_event(client, "purchase", coupon=code, value=49.90, currency="EUR")
    coupon = Coupon.objects.get(id=coupon.id)
    assert (coupon.redeemed_at, coupon.redeemed_event_id) == (clock.now(), purchase_id)
    conversion = Conversion.objects.get(event_id=purchase_id)
    assert (conversion.contact_id, conversion.name) == (ana, "purchase")
    assert (conversion.value, conversion.currency) == (Decimal("49.90"), "EUR")
    assert conversion.campaign_id == journey.campaign_id
    assert conversion.enrollment_id == journey.id
    assert (conversion.step_id, conversion.touch) == ("coupon-reminder", "coupon")
    assert conversion.delivery_id == coupon_delivery.id
    assert (conversion.coupon_code, conversion.occurred_at) == (code, clock.now())

    # The goal ends the journey as converted at once; nothing else is ever sent.
    worker.run_until_idle()
    journey.refresh_from_db()
    assert (journey.status, journey.end_reason) == (EnrollmentStatus.CONVERTED, "goal: purchase")
    assert journey.ended_at == clock.now()
    for _ in range(3):
        run_at(worker, clock, 3 * DAY)
    assert inbox.new() == []
    assert [d.step_id for d in deliveries_of("ana@example.com")] == ["reminder", "coupon-reminder"]
    assert Enrollment.objects.filter(contact_id=ana).count() == 1


def test_a_purchase_before_the_first_reminder_sends_nothing_and_converts(
    client: Client, worker: Worker, clock: ManualClock, inbox: Inbox, ana: int
) -> None:
    post_event(client, "added_to_cart", cart_url=CART_URL)
    worker.run_until_idle()

    clock.advance(timedelta(minutes=40))
    purchase_id = post_event(client, "purchase", value=80, currency="EUR")
    worker.run_until_idle()
    journey = enrollment_of("ana@example.com", "abandoned-cart")
    assert (journey.status, journey.end_reason) == (EnrollmentStatus.CONVERTED, "goal: purchase")
    assert journey.ended_at == clock.now()

    for delta in (HOUR, DAY, 7 * DAY):
        run_at(worker, clock, delta)
    assert inbox.all() == []
    assert deliveries_of("ana@example.com") == []
    assert not Coupon.objects.exists()
    # The revenue is recorded, and credited to no campaign: no message was ever sent.
    conversion = Conversion.objects.get(event_id=purchase_id)
    assert (conversion.value, conversion.currency) == (Decimal("80.00"), "EUR")
    assert (conversion.campaign_id, conversion.step_id, conversion.touch) == (None, "", "")
    assert Event.objects.filter(contact_id=ana).count() == 2
