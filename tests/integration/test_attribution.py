"""Conversions: value and currency, and the last-touch rule (coupon, click, open, send)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from goteo.actions.attribution import attribute_conversions
from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.coupons import issue_coupon, redeem_from_events
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Conversion, Coupon, Delivery, Enrollment
from goteo.campaigns.reports import campaign_report
from goteo.config import ConfigError
from goteo.contacts.event_facts import EventFact
from goteo.contacts.models import Event
from goteo.engine.coupon_spec import CouponSpec
from goteo.worker.claims import claim_enrollments
from goteo.worker.scheduler import run_enrollments

T = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
CAMPAIGN = """
key: {key}
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {{subject: "Hello", html: "<p>Hello</p>"}}
"""

pytestmark = pytest.mark.django_db


@pytest.fixture
def journeys() -> dict[str, Enrollment]:
    """Ana enrolled in campaigns ``news`` and ``offers``."""
    for key in ("news", "offers"):
        do_apply_campaign(CAMPAIGN.format(key=key))
    ana = do_upsert_contact({"email": "ana@example.com"}).contact
    for key in ("news", "offers"):
        do_enroll(key, [ana.id], T - 30 * DAY)
    return {e.campaign.key: e for e in Enrollment.objects.select_related("campaign")}


def sent(journey: Enrollment, step: str, at: datetime, **fields: Any) -> Delivery:
    return Delivery.objects.create(
        contact_id=journey.contact_id,
        enrollment=journey,
        campaign_id=journey.campaign_id,
        step_id=step,
        channel="email",
        template="hello",
        locale="en",
        status="sent",
        next_attempt_at=at,
        created_at=at,
        sent_at=at,
        **fields,
    )


def engaged(delivery: Delivery, name: str, at: datetime) -> None:
    """A tracked open or click: the event, and the delivery's own record."""
    Event.objects.create(
        contact_id=delivery.contact_id,
        name=name,
        occurred_at=at,
        received_at=at,
        source="email",
        delivery_id=delivery.id,
    )


def purchase(contact_id: int, at: datetime = T, name: str = "purchase", **props: Any) -> EventFact:
    row = Event.objects.create(
        contact_id=contact_id, name=name, properties=props, occurred_at=at, received_at=at
    )
    return EventFact(row.id, contact_id, name, at, props)


def only_conversion() -> Conversion:
    (conversion,) = Conversion.objects.all()
    return conversion


def test_the_most_recent_click_beats_a_later_open_and_a_later_send(
    journeys: dict[str, Enrollment],
) -> None:
    news, offers = journeys["news"], journeys["offers"]
    clicked = sent(news, "first", T - 3 * DAY)
    engaged(clicked, "clicked", T - 2 * DAY)
    engaged(sent(offers, "second", T - DAY), "opened", T - DAY / 2)
    sent(offers, "third", T - DAY / 4)
    fact = purchase(news.contact_id, value="19.99", currency="eur")
    assert attribute_conversions([fact], T) == 1
    conversion = only_conversion()
    assert (conversion.touch, conversion.delivery_id, conversion.step_id) == (
        "click",
        clicked.id,
        "first",
    )
    assert (conversion.campaign_id, conversion.enrollment_id) == (news.campaign_id, news.id)
    assert (conversion.value, conversion.currency, conversion.name) == (
        Decimal("19.99"),
        "EUR",
        "purchase",
    )
    assert (conversion.event_id, conversion.occurred_at) == (fact.id, T)


def test_without_a_click_the_latest_open_beats_a_later_send(
    journeys: dict[str, Enrollment],
) -> None:
    news, offers = journeys["news"], journeys["offers"]
    opened = sent(news, "first", T - 3 * DAY)
    engaged(opened, "opened", T - 2 * DAY)
    sent(offers, "second", T - DAY)
    attribute_conversions([purchase(news.contact_id, revenue=42)], T)
    conversion = only_conversion()
    assert (conversion.touch, conversion.delivery_id) == ("open", opened.id)
    assert (conversion.value, conversion.currency) == (Decimal("42.00"), "USD")


def test_a_click_recorded_only_on_the_delivery_counts(journeys: dict[str, Enrollment]) -> None:
    news, offers = journeys["news"], journeys["offers"]
    webhook_click = sent(offers, "second", T - 3 * DAY, clicked_at=T - 2 * DAY, clicks=1)
    engaged(sent(news, "first", T - 4 * DAY), "clicked", T - 3 * DAY)
    attribute_conversions([purchase(news.contact_id)], T)
    conversion = only_conversion()
    assert (conversion.touch, conversion.delivery_id) == ("click", webhook_click.id)
    assert (conversion.value, conversion.currency) == (None, "")


def test_only_touches_inside_the_window_and_before_the_event_count(
    journeys: dict[str, Enrollment], settings: Any
) -> None:
    news = journeys["news"]
    old = sent(news, "first", T - 8 * DAY)
    engaged(old, "clicked", T - 8 * DAY)
    engaged(sent(news, "after", T + DAY / 2), "clicked", T + DAY)  # after the purchase
    attribute_conversions([purchase(news.contact_id, value=10)], T)
    unattributed = only_conversion()
    assert (unattributed.touch, unattributed.campaign_id, unattributed.delivery_id) == (
        "",
        None,
        None,
    )
    assert unattributed.value == Decimal("10.00")  # still counted as revenue

    settings.GOTEO_ATTRIBUTION_WINDOW = "10d"
    settings.GOTEO_DEFAULT_CURRENCY = "eur"
    later = purchase(news.contact_id, value=5, at=T + 2 * DAY)
    attribute_conversions([later], T)
    conversion = Conversion.objects.get(event_id=later.id)
    assert (conversion.touch, conversion.step_id, conversion.currency) == ("click", "after", "EUR")


def test_a_transactional_message_is_never_credited(journeys: dict[str, Enrollment]) -> None:
    news = journeys["news"]
    confirmation = sent(news, "confirm", T - DAY)
    Delivery.objects.filter(id=confirmation.id).update(
        campaign=None, enrollment=None, kind="transactional"
    )
    engaged(confirmation, "clicked", T - DAY / 2)
    first = sent(news, "first", T - 2 * DAY)
    attribute_conversions([purchase(news.contact_id)], T)
    assert (only_conversion().touch, only_conversion().delivery_id) == ("send", first.id)


def test_a_redeemed_coupon_credits_its_step_before_any_click(
    journeys: dict[str, Enrollment],
) -> None:
    news, offers = journeys["news"], journeys["offers"]
    offer = sent(offers, "offer", T - 5 * DAY)
    coupon = issue_coupon(
        CouponSpec(percent_off=Decimal(10), expires_in=7 * DAY),
        contact_id=offers.contact_id,
        campaign_id=offers.campaign_id,
        enrollment_id=offers.id,
        step_id="offer",
        now=T - 5 * DAY,
    )
    engaged(sent(news, "first", T - DAY), "clicked", T - DAY / 2)
    fact = purchase(news.contact_id, value=30, coupon=coupon.code.lower())
    assert redeem_from_events([fact], T) == 1
    attribute_conversions([fact], T)
    conversion = only_conversion()
    assert (conversion.touch, conversion.campaign_id, conversion.step_id) == (
        "coupon",
        offers.campaign_id,
        "offer",
    )
    assert (conversion.delivery_id, conversion.coupon_code) == (offer.id, coupon.code.lower())


def test_an_unredeemed_code_is_recorded_but_earns_no_credit(
    journeys: dict[str, Enrollment],
) -> None:
    news = journeys["news"]
    first = sent(news, "first", T - DAY)
    fact = purchase(news.contact_id, value=30, coupon="SOMEONE-ELSES")
    assert redeem_from_events([fact], T) == 0
    attribute_conversions([fact], T)
    conversion = only_conversion()
    assert (conversion.touch, conversion.delivery_id, conversion.coupon_code) == (
        "send",
        first.id,
        "SOMEONE-ELSES",
    )


def test_one_conversion_per_event_and_only_for_conversion_events(
    journeys: dict[str, Enrollment], settings: Any
) -> None:
    ana = journeys["news"].contact_id
    bought = purchase(ana, value=1)
    browsed = purchase(ana, name="page_view")
    anonymous = EventFact(bought.id + 100, None, "purchase", T, {"value": 3})
    assert attribute_conversions([bought, browsed, anonymous], T) == 1
    assert attribute_conversions([bought], T) == 0
    assert Conversion.objects.count() == 1

    settings.GOTEO_CONVERSION_EVENTS = ["purchase", "signup"]
    signed_up = purchase(ana, name="signup", value="not a number")
    assert attribute_conversions([signed_up], T) == 1
    assert Conversion.objects.get(event_id=signed_up.id).value is None


def test_a_bad_window_setting_is_a_configuration_error(
    journeys: dict[str, Enrollment], settings: Any
) -> None:
    settings.GOTEO_ATTRIBUTION_WINDOW = "a week"
    with pytest.raises(ConfigError, match="GOTEO_ATTRIBUTION_WINDOW"):
        attribute_conversions([purchase(journeys["news"].contact_id)], T)


COUPON_CAMPAIGN = """
key: carts
goal: {event: purchase, within: 10d}
steps:
  - id: offer
    send: email
    template: offer
    coupon: {percent_off: 10, expires_in: 7d, prefix: CART-}
templates:
  offer:
    en: {subject: "Your code {{ coupon.code }}", html: "<p>{{ coupon.discount }} off</p>"}
"""


def test_from_the_coupon_step_to_the_report_through_the_worker_and_the_events_api(
    client: Any,
) -> None:
    """The worker issues the code with the message; a purchase posted to the events API
    redeems it and is credited to the step; the report counts it."""
    now = timezone.now() - timedelta(hours=1)
    do_apply_campaign(COUPON_CAMPAIGN)
    ana = do_upsert_contact({"email": "ana@example.com"}).contact
    do_enroll("carts", [ana.id], now)
    run_enrollments(claim_enrollments("w1", now, limit=10, lease_seconds=60), "w1", now)
    (message,) = Delivery.objects.all()
    coupon = Coupon.objects.get(contact=ana)
    assert message.context["coupon"]["code"] == coupon.code
    assert message.context["coupon"]["discount"] == "10%"
    Delivery.objects.filter(id=message.id).update(status="sent", sent_at=now)

    body = {
        "name": "purchase",
        "email": "ana@example.com",
        "properties": {"value": 80, "currency": "EUR", "coupon": coupon.code.lower()},
    }
    response = client.post(
        "/api/v1/events",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": "Bearer test-api-key"},
    )
    assert response.status_code == 200, response.content
    coupon.refresh_from_db()
    conversion = only_conversion()
    assert coupon.redeemed_event_id == conversion.event_id
    assert (conversion.touch, conversion.step_id, conversion.delivery_id) == (
        "coupon",
        "offer",
        message.id,
    )
    report = campaign_report("carts")
    assert (report["conversions"], report["revenue"]) == (1, {"EUR": "80.00"})
    assert report["variants"][0]["converted"] == 1
