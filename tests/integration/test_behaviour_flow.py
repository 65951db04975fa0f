"""Behaviour-driven journeys through the real worker: events in, messages out over SMTP.

Events are stored with the same action the events API uses; the worker runs on a manual
clock against an SMTP server (and a webhook receiver) on loopback.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from tests.integration.flow_helpers import (
    T0,
    Inbox,
    apply,
    close_worker,
    deliveries_of,
    enrollment_of,
    html_of,
    make_worker,
    people,
    simple_template,
)
from tests.integration.webhook_receiver import WebhookReceiver
from tests.smtp_sink import SmtpSink

from goteo.actions.events import EventInput, do_record_events
from goteo.campaigns.models import DeliveryStatus, Enrollment, EnrollmentStatus
from goteo.contacts.models import Contact, ScoreEntry
from goteo.engine.clock import ManualClock

pytestmark = pytest.mark.django_db(transaction=True)
HOUR = timedelta(hours=1)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver()
    yield found
    found.stop()


def record(clock: ManualClock, email: str, name: str, **properties: object) -> None:
    do_record_events([EventInput(name, email=email, properties=properties)], clock.now())


def run(sink: SmtpSink, clock: ManualClock) -> None:
    worker = make_worker(sink, clock)
    try:
        worker.run_until_idle()
    finally:
        close_worker(worker)


CART_STEPS: list[dict[str, Any]] = [
    {"wait_for": {"event": "purchase", "timeout": "24h"}, "then": "thanks", "else": "reminder"},
    {"id": "reminder", "send": "email", "template": "reminder"},
    {"exit": "reminded"},
    {"id": "thanks", "send": "email", "template": "thanks"},
]
CART_TEMPLATES = {
    "reminder": simple_template(
        "Still want it?",
        "<p>Your {{ event.properties.item | default: 'cart' }} is waiting</p>"
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    ),
    "thanks": simple_template("Thank you"),
}


def test_event_trigger_then_wait_for_takes_the_branch_of_what_happened(
    smtp_sink: SmtpSink,
) -> None:
    apply("cart", CART_STEPS, CART_TEMPLATES, trigger={"event": "added_to_cart"})
    people("ana", "bo")
    clock, inbox = ManualClock(T0), Inbox(smtp_sink)
    record(clock, "ana@example.com", "added_to_cart", item="red shoes")
    record(clock, "bo@example.com", "added_to_cart", item="blue hat")
    run(smtp_sink, clock)
    assert inbox.new() == []  # both wait for a purchase

    clock.advance(2 * HOUR)
    record(clock, "ana@example.com", "purchase", value=30)
    run(smtp_sink, clock)
    (thanks,) = inbox.new()
    assert thanks["subject"] == "Thank you" and "ana@" in thanks["to"]

    clock.advance(22 * HOUR)
    run(smtp_sink, clock)
    (reminder,) = inbox.new()
    assert "bo@" in reminder["to"] and "blue hat" in html_of(reminder)
    assert enrollment_of("bo@example.com", "cart").end_reason == "reminded"


def test_a_repeated_trigger_event_does_not_start_a_second_journey(smtp_sink: SmtpSink) -> None:
    apply("cart", CART_STEPS, CART_TEMPLATES, trigger={"event": "added_to_cart"})
    people("ana")
    clock = ManualClock(T0)
    for _ in range(3):
        record(clock, "ana@example.com", "added_to_cart")
        clock.advance(HOUR)

    assert Enrollment.objects.filter(contact__email="ana@example.com").count() == 1


def test_goal_converts_the_journey_wherever_it_is(smtp_sink: SmtpSink) -> None:
    steps: list[dict[str, Any]] = [
        {"send": "email", "template": "thanks"},
        {"wait": "3d"},
        {"id": "late", "send": "email", "template": "reminder"},
    ]
    apply("drip", steps, CART_TEMPLATES, goal={"event": "purchase", "within": "7d"})
    ids = people("ana")
    from goteo.actions.enroll import do_enroll

    clock, inbox = ManualClock(T0), Inbox(smtp_sink)
    do_enroll("drip", ids.values(), clock.now())
    run(smtp_sink, clock)
    assert len(inbox.new()) == 1

    clock.advance(HOUR)
    record(clock, "ana@example.com", "purchase")
    run(smtp_sink, clock)  # woken by the event: converted at once, not in three days
    journey = enrollment_of("ana@example.com", "drip")
    assert journey.status == EnrollmentStatus.CONVERTED and journey.end_reason == "goal: purchase"

    clock.advance(timedelta(days=4))
    run(smtp_sink, clock)
    assert inbox.new() == []


def test_segment_trigger_enrolls_matching_contacts_once(smtp_sink: SmtpSink) -> None:
    apply(
        "pro-tips",
        [{"send": "email", "template": "thanks"}],
        CART_TEMPLATES,
        trigger={"segment": {"attributes.plan": "pro"}},
    )
    people("ana", "bo")
    Contact.objects.filter(email="ana@example.com").update(attributes={"plan": "pro"})
    clock, inbox = ManualClock(T0), Inbox(smtp_sink)
    run(smtp_sink, clock)
    assert [m["to"].addresses[0].addr_spec for m in inbox.new()] == ["ana@example.com"]

    Contact.objects.filter(email="bo@example.com").update(attributes={"plan": "pro"})
    clock.advance(HOUR)
    run(smtp_sink, clock)
    assert [m["to"].addresses[0].addr_spec for m in inbox.new()] == ["bo@example.com"]
    clock.advance(HOUR)
    run(smtp_sink, clock)
    assert inbox.new() == []  # re-entry never: each entered once


def test_update_score_notify_and_webhook_steps(
    smtp_sink: SmtpSink, receiver: WebhookReceiver
) -> None:
    steps: list[dict[str, Any]] = [
        {"update": {"attributes": {"stage": "lead"}, "add_tags": ["warm"]}},
        {"score": 15},
        {"branch": {"tags": {"contains": "warm"}}, "then": "tell"},
        {"exit": True},
        {"id": "tell", "notify": {"to": "owner", "template": "hot"}},
        {"id": "crm", "webhook": {"url": receiver.url}},
    ]
    templates = {"hot": simple_template("Hot lead: {{ contact.email }}", "<p>Call them</p>")}
    apply("leads", steps, templates)
    ids = people("ana")
    Contact.objects.filter(id=ids["ana@example.com"]).update(owner="sales@example.com")
    from goteo.actions.enroll import do_enroll

    clock, inbox = ManualClock(T0), Inbox(smtp_sink)
    do_enroll("leads", ids.values(), clock.now())
    run(smtp_sink, clock)

    contact = Contact.objects.get(email="ana@example.com")
    assert contact.attributes == {"stage": "lead"} and contact.tags == ["warm"]
    assert ScoreEntry.objects.filter(contact=contact).count() == 1
    (note,) = inbox.new()
    assert note["to"].addresses[0].addr_spec == "sales@example.com"
    assert note["subject"] == "Hot lead: ana@example.com"
    assert note["List-Unsubscribe"] is None  # to our own staff: no unsubscribe
    (call,) = receiver.calls
    assert call.json["campaign"] == "leads" and call.json["contact"]["email"] == "ana@example.com"
    stamp, mac = call.headers["Goteo-Signature"].removeprefix("t=").split(",v1=")
    secret = (settings.GOTEO_WEBHOOK_SIGNING_SECRET or settings.SECRET_KEY).encode()
    assert hmac.compare_digest(
        mac, hmac.new(secret, f"{stamp}.".encode() + call.body, hashlib.sha256).hexdigest()
    )
    webhook = next(d for d in deliveries_of("ana@example.com") if d.step_id == "crm")
    assert call.headers["Idempotency-Key"] == f"goteo-delivery-{webhook.id}"
    assert webhook.status == DeliveryStatus.SENT


def test_a_failing_webhook_is_retried_later_then_delivered(
    smtp_sink: SmtpSink, receiver: WebhookReceiver
) -> None:
    apply("hook", [{"id": "crm", "webhook": {"url": receiver.url}}], CART_TEMPLATES)
    ids = people("ana")
    from goteo.actions.enroll import do_enroll

    clock = ManualClock(T0)
    do_enroll("hook", ids.values(), clock.now())
    receiver.status = 503
    run(smtp_sink, clock)
    (first,) = deliveries_of("ana@example.com")
    assert first.status == DeliveryStatus.PENDING and "HTTP 503" in first.last_error

    receiver.status = 200
    clock.advance(timedelta(minutes=5))
    run(smtp_sink, clock)
    (again,) = deliveries_of("ana@example.com")
    assert again.status == DeliveryStatus.SENT and len(receiver.calls) == 2
    assert (
        receiver.calls[0].headers["Idempotency-Key"] == receiver.calls[1].headers["Idempotency-Key"]
    )


def test_split_records_the_group_and_the_holdout_receives_nothing(smtp_sink: SmtpSink) -> None:
    steps: list[dict[str, Any]] = [
        {
            "split": [
                {"name": "mail", "weight": 1},
                {"name": "holdout", "weight": 1, "holdout": True},
            ]
        },
        {"send": "email", "template": "thanks"},
    ]
    apply("ab", steps, CART_TEMPLATES)
    ids = people(*(f"p{i}" for i in range(40)))
    from goteo.actions.enroll import do_enroll

    clock, inbox = ManualClock(T0), Inbox(smtp_sink)
    do_enroll("ab", ids.values(), clock.now())
    run(smtp_sink, clock)

    groups = dict(Enrollment.objects.values_list("contact__email", "variant"))
    mailed = {m["to"].addresses[0].addr_spec for m in inbox.new()}
    assert set(groups.values()) == {"mail", "holdout"}
    assert mailed == {email for email, group in groups.items() if group == "mail"}


def test_an_empty_coupon_pool_pauses_the_campaign_and_sends_nothing_without_a_code(
    smtp_sink: SmtpSink,
) -> None:
    from goteo.actions.campaigns import do_set_campaign_status
    from goteo.actions.coupons import import_pool
    from goteo.actions.enroll import do_enroll
    from goteo.campaigns.models import Campaign

    templates = {"offer": simple_template("Your code", "<p>Code {{ coupon.code }}</p>")}
    steps = [{"id": "offer", "send": "email", "template": "offer", "coupon": {"pool": "vip"}}]
    apply("vip", steps, templates)
    import_pool("vip", ["FIRST-CODE"], T0)
    ids = people("ana", "bo")
    clock, inbox = ManualClock(T0), Inbox(smtp_sink)
    do_enroll("vip", ids.values(), clock.now())
    run(smtp_sink, clock)

    # Paused: nothing goes out (the message already written keeps its code, held).
    assert inbox.new() == []
    campaign = Campaign.objects.get(key="vip")
    assert campaign.status == "paused" and "'vip' is empty" in campaign.status_reason
    waiting = Enrollment.objects.get(status=EnrollmentStatus.ACTIVE)
    assert not deliveries_of(waiting.contact.email)

    import_pool("vip", ["SECOND-CODE"], T0)
    do_set_campaign_status("vip", "active")
    run(smtp_sink, clock)
    codes = {m["to"].addresses[0].addr_spec: html_of(m) for m in inbox.new()}
    assert len(codes) == 2
    assert sorted("FIRST-CODE" in body for body in codes.values()) == [False, True]
    assert "SECOND-CODE" in codes[waiting.contact.email]
