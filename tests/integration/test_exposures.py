"""The exposure ledger: each touch recorded once, on every channel; engagement on the exposure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from tests.integration.flow_helpers import T0, apply, people, simple_template
from tests.smtp_sink import SmtpSink

from goteo.actions.engagement import do_record_click, do_record_open
from goteo.actions.enroll import do_enroll
from goteo.actions.events import EventInput, do_record_events
from goteo.campaigns.exposures import (
    Touch,
    record_audience,
    record_delivery,
    record_qr_visit,
    record_reported,
    record_touches,
    sent_touch,
    touch_of_delivery,
)
from goteo.campaigns.models import AudienceExposure, Campaign, Delivery, Exposure
from goteo.engine.clock import ManualClock
from goteo.worker.claims import finish_delivery
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)
DAY = timedelta(days=1)
LINKED = "<p>Hi</p><p><a href='https://shop.example.com/p/1'>Shop</a></p>"


def two_emails() -> None:
    apply(
        "drip",
        [
            {"id": "first", "send": "email", "template": "one"},
            {"wait": "1d"},
            {"id": "second", "send": "email", "template": "two"},
        ],
        {"one": simple_template("One", LINKED), "two": simple_template("Two")},
    )


def exposures() -> list[tuple[str, str, str, str]]:
    rows = Exposure.objects.order_by("contact__email", "occurred_at")
    return [(e.contact.email, e.channel, e.kind, e.step_id) for e in rows.select_related("contact")]


def test_each_sent_email_is_one_exposure_with_its_campaign_version_and_step(
    worker: Worker, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    two_emails()
    ids = people("ana", "bo")
    do_enroll("drip", ids.values(), clock.now())
    worker.run_until_idle()
    clock.set(T0 + 2 * DAY)
    worker.run_until_idle()
    worker.run_until_idle()
    assert len(smtp_sink.messages) == 4
    assert exposures() == [
        ("ana@example.com", "email", "sent", "first"),
        ("ana@example.com", "email", "sent", "second"),
        ("bo@example.com", "email", "sent", "first"),
        ("bo@example.com", "email", "sent", "second"),
    ]
    for exposure in Exposure.objects.select_related("campaign"):
        assert exposure.delivery_id is not None and exposure.campaign is not None
        delivery = Delivery.objects.get(id=exposure.delivery_id)
        assert exposure.occurred_at == delivery.sent_at
        assert exposure.campaign.key == "drip"
        assert exposure.version_id == Campaign.objects.get(key="drip").current_version_id
        assert exposure.dedupe_key == f"d:{delivery.id}"


@override_settings(GOTEO_EXPOSURE_LEDGER=False)
def test_the_ledger_switched_off_records_nothing(
    worker: Worker, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    two_emails()
    do_enroll("drip", people("ana").values(), clock.now())
    worker.run_until_idle()
    assert len(smtp_sink.messages) == 1
    assert Exposure.objects.count() == 0


def test_opens_and_clicks_are_engagement_on_the_same_exposure(
    worker: Worker, clock: ManualClock
) -> None:
    two_emails()
    do_enroll("drip", people("ana").values(), clock.now())
    worker.run_until_idle()
    delivery = Delivery.objects.get(step_id="first")
    do_record_click(delivery.id, 0, T0 + timedelta(hours=1))  # the pixel was blocked
    do_record_open(delivery.id, T0 + timedelta(hours=2))
    do_record_click(delivery.id, 0, T0 + timedelta(hours=3))
    exposure = Exposure.objects.get()
    assert (exposure.opens, exposure.clicks) == (2, 2)
    assert exposure.first_opened_at == T0 + timedelta(hours=1)
    assert exposure.first_clicked_at == T0 + timedelta(hours=1)


def row(delivery: Delivery) -> dict[str, object]:
    return {
        "id": delivery.id,
        "contact_id": delivery.contact_id,
        "campaign_id": delivery.campaign_id,
        "step_id": delivery.step_id,
        "channel": delivery.channel,
        "kind": delivery.kind,
        "enrollment__version_id": delivery.enrollment.version_id if delivery.enrollment else None,
    }


def pending(channel: str, step: str, kind: str = "marketing") -> Delivery:
    journey = Campaign.objects.get(key="drip").enrollments.get()
    return Delivery.objects.create(
        contact_id=journey.contact_id, enrollment=journey, campaign_id=journey.campaign_id,
        step_id=step, channel=channel, template="one", locale="en", kind=kind,
        next_attempt_at=T0, created_at=T0,
    )  # fmt: skip


def test_other_channels_record_through_the_same_function_once_each() -> None:
    two_emails()
    do_enroll("drip", people("ana").values(), T0)
    mailer, sms = pending("mail", "postcard"), pending("sms", "text")
    expected_home = T0 + 4 * DAY
    record_delivery(row(mailer), expected_home)
    record_delivery(row(mailer), expected_home)  # a replay changes nothing
    record_delivery(row(sms), T0 + timedelta(minutes=1), "delivered")
    found = {e.step_id: (e.channel, e.kind, e.occurred_at) for e in Exposure.objects.all()}
    assert found == {
        "postcard": ("mail", "in_home", expected_home),
        "text": ("sms", "delivered", T0 + timedelta(minutes=1)),
    }
    # The print house reports the real delivery: the same exposure, now delivered.
    record_delivery(row(mailer), T0 + 3 * DAY, "delivered")
    record_delivery(row(mailer), T0 + 5 * DAY, "in_home")  # never goes back
    mail = Exposure.objects.get(step_id="postcard")
    assert (mail.kind, mail.occurred_at) == ("delivered", T0 + 3 * DAY)
    # Reports and scans arrive later, by delivery id: the SMS receipt again changes nothing.
    assert record_reported(sms.id, T0 + timedelta(minutes=2), "delivered")
    assert not record_reported(10**9, T0, "delivered")
    assert record_qr_visit(mailer.id, T0 + 5 * DAY)
    assert record_qr_visit(mailer.id, T0 + 6 * DAY)  # scanned twice: one exposure
    # A post published to an account the contact follows.
    post = Touch(mailer.contact_id, "social", "social_personal", T0 + 6 * DAY, "p:mastodon:42")
    record_touches([post, post])
    assert Exposure.objects.count() == 4
    qr = Exposure.objects.get(kind="qr_visit")
    assert (qr.channel, qr.step_id, qr.occurred_at) == ("mail", "postcard", T0 + 5 * DAY)
    assert Exposure.objects.get(kind="delivered", channel="sms").occurred_at == T0 + timedelta(
        minutes=1
    )


def test_what_is_not_an_exposure_and_what_is_refused() -> None:
    two_emails()
    do_enroll("drip", people("ana").values(), T0)
    confirmation = pending("email", "confirm", kind="transactional")
    assert touch_of_delivery(row(confirmation), T0) is None
    assert touch_of_delivery(row(pending("webhook", "crm", kind="webhook")), T0) is None
    with pytest.raises(ValueError, match="kind: 'seen' is not an exposure kind"):
        record_touches([Touch(confirmation.contact_id, "email", "seen", T0, "x")])
    assert Exposure.objects.count() == 0


def test_a_post_to_an_audience_is_counted_once_per_post_not_per_contact() -> None:
    assert record_audience("mastodon:@shop:1", "social", T0, reach=1200)
    assert not record_audience("mastodon:@shop:1", "social", T0, reach=1300)
    assert list(AudienceExposure.objects.values_list("reach", flat=True)) == [1200]
    assert Exposure.objects.count() == 0


def page_view(contact_id: int, url: str, key: str | None = None) -> EventInput:
    return EventInput(
        name="page_view", contact_id=contact_id, properties={"url": url}, idempotency_key=key
    )


def test_visits_to_the_pages_a_campaign_names_are_exposures_once_each() -> None:
    pages = {"exposure_pages": [{"url": {"contains": "/product"}}]}
    apply("drip", [{"send": "email", "template": "one"}], {"one": simple_template("One")}, **pages)
    apply("other", [{"send": "email", "template": "one"}], {"one": simple_template("O")}, **pages)
    apply("plain", [{"send": "email", "template": "one"}], {"one": simple_template("P")})
    ids = people("ana", "bo", "cy")
    do_enroll("drip", [ids["ana@example.com"]], T0)
    do_enroll("other", [ids["ana@example.com"]], T0)
    do_enroll("plain", [ids["bo@example.com"]], T0)
    ana, bo, cy = ids.values()
    batch = [
        page_view(ana, "https://shop.example.com/product/7", "k1"),
        page_view(ana, "https://shop.example.com/about"),
        page_view(bo, "https://shop.example.com/product/7"),  # only in a campaign without pages
        page_view(cy, "https://shop.example.com/product/7"),  # in no campaign
    ]
    do_record_events(batch, T0 + DAY)
    do_record_events(batch[:1], T0 + DAY)  # the same event again: a duplicate, not stored
    found = list(Exposure.objects.values_list("contact_id", "channel", "kind", "campaign__key"))
    # Two campaigns name the page: one exposure, credited to the first.
    assert found == [(ana, "web", "visit", "drip")]


def test_a_branch_acts_on_the_exposures_the_worker_loads(
    worker: Worker, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    """Two emails, then a branch on ``exposures``: the worker loads the ledger for it."""
    apply(
        "drip",
        [
            {"id": "first", "send": "email", "template": "one"},
            {"wait": "1d"},
            {"id": "second", "send": "email", "template": "one"},
            {"wait": "1d"},
            {
                "branch": {"exposures": {"count": {"gte": 3}, "within": "30d"}},
                "then": "many",
                "else": "few",
            },
            {"id": "few", "send": "email", "template": "few"},
            {"exit": True},
            {"id": "many", "send": "email", "template": "many"},
        ],
        {
            "one": simple_template("One"),
            "few": simple_template("Few"),
            "many": simple_template("Many"),
        },
    )
    ids = people("ana", "bo")
    # Ana also had a postcard in her home last week (another channel, same ledger).
    record_touches([Touch(ids["ana@example.com"], "mail", "in_home", T0 - 7 * DAY, "x:1")])
    do_enroll("drip", ids.values(), clock.now())
    for day in range(3):
        clock.set(T0 + day * DAY)
        worker.run_until_idle()
    last = {
        d.contact.email: d.step_id for d in Delivery.objects.filter(step_id__in=["few", "many"])
    }
    assert last == {"ana@example.com": "many", "bo@example.com": "few"}


def test_the_sent_mark_and_its_exposure_are_written_together_or_not_at_all() -> None:
    two_emails()
    do_enroll("drip", people("ana").values(), T0)
    email = pending("email", "first")
    Delivery.objects.filter(id=email.id).update(lease_owner="w1", lease_until=10**12)
    touch = sent_touch(row(email), T0)
    assert touch is not None
    # Another worker lost its lease on the row: neither the mark nor the exposure is written.
    contact = email.contact_id
    assert not finish_delivery(email.id, contact, "w2", touch, status="sent", sent_at=T0)
    assert not Exposure.objects.exists()
    assert finish_delivery(email.id, contact, "w1", touch, status="sent", sent_at=T0)
    assert finish_delivery(email.id, contact, "w1", touch, status="sent", sent_at=T0) is False
    exposure = Exposure.objects.get()
    assert (exposure.delivery_id, exposure.kind, exposure.occurred_at) == (email.id, "sent", T0)
    assert Delivery.objects.get(id=email.id).status == "sent"


def test_on_sqlite_the_ledger_key_is_a_plain_rowid_and_its_indexes_survive_the_rebuild() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the rebuild is SQLite's alone")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'goteo_exposure'"
        )
        schema = {name: (kind, sql or "") for kind, name, sql in cursor.fetchall()}
    table = schema["goteo_exposure"][1]
    assert '"id" integer NOT NULL PRIMARY KEY,' in table and "AUTOINCREMENT" not in table
    assert "exposure_campaign_contact" in schema
    assert any(
        kind == "index" and name.startswith("sqlite_autoindex")
        for name, (kind, _) in schema.items()
    )
    # The unique key still turns a second recording of the same touch into nothing.
    two_emails()
    do_enroll("drip", people("ana").values(), T0)
    email = pending("email", "first")
    touch = sent_touch(row(email), T0)
    assert touch is not None
    record_touches([touch, touch])
    record_touches([touch])
    assert Exposure.objects.count() == 1
