"""POST /api/v1/events through the real HTTP stack: storing, duplicates, per-item errors,
limits, anonymous visitors and the triggers new events fire (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from goteo.actions import events as events_action
from goteo.actions import reactions
from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.events import EventInput, do_record_events
from goteo.campaigns.models import Enrollment
from goteo.contacts.event_facts import EventFact
from goteo.contacts.models import Contact, ContactStatus, Event, Visitor
from goteo.web.api import events as events_api

AUTH = {"Authorization": "Bearer test-api-key"}

CART_CAMPAIGN = """\
key: cart-rescue
name: Cart rescue
trigger: {event: added_to_cart}
reentry: always
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "You left something", html: "<p>Your cart</p>"}
"""


def post(client: Client, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        "/api/v1/events", data=data, content_type="application/json", headers=AUTH | headers
    )


@pytest.fixture
def reacted(monkeypatch: pytest.MonkeyPatch) -> list[EventFact]:
    """Every fact passed to the real ``react``, so a test can see each one fired once."""
    seen: list[EventFact] = []
    real = reactions.react

    def spy(facts: list[EventFact], now: datetime) -> None:
        seen.extend(facts)
        real(facts, now)

    monkeypatch.setattr(events_action, "react", spy)
    return seen


@pytest.mark.django_db
def test_one_event_creates_the_contact_and_is_stored(client: Client) -> None:
    before = timezone.now()
    response = post(
        client,
        {"email": "Ana@Example.com", "name": "signed_up", "properties": {"plan": "pro"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["stored"], body["duplicates"], body["errors"]) == (1, 0, 0)
    [result] = body["results"]
    event = Event.objects.get(id=result["id"])
    assert result == {"index": 0, "status": "stored", "id": event.id}
    contact = Contact.objects.get(email="ana@example.com")
    assert contact.status == ContactStatus.ACTIVE
    assert (event.contact_id, event.name, event.source) == (contact.id, "signed_up", "api")
    assert event.properties == {"plan": "pro"} and event.idempotency_key is None
    assert before <= event.occurred_at <= timezone.now()

    again = post(client, {"email": "ana@example.com", "name": "signed_up"})
    assert again.json()["stored"] == 1  # no key: every post is a new event
    assert Contact.objects.count() == 1 and Event.objects.count() == 2


@pytest.mark.django_db
def test_contact_id_and_timestamp_are_kept(client: Client) -> None:
    contact = Contact.objects.create(email="bo@example.com")
    body = {"contact_id": contact.id, "name": "purchase", "timestamp": "2025-05-01T12:00:00+02:00"}
    response = post(client, body)
    assert response.status_code == 200, response.content
    event = Event.objects.get()
    assert event.contact_id == contact.id
    assert event.occurred_at == datetime(2025, 5, 1, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_each_event_sent_three_times_is_stored_and_triggers_once(
    client: Client, reacted: list[EventFact]
) -> None:
    do_apply_campaign(CART_CAMPAIGN)
    people = [f"p{n}@example.com" for n in range(3)]
    events = [
        {"email": email, "name": "added_to_cart", "idempotency_key": f"cart-{n}"}
        for n, email in enumerate(people)
    ]
    batch = [e for e in events for _ in range(3)]  # each one three times in a row
    first = post(client, {"events": batch})
    assert first.status_code == 200, first.content
    body = first.json()
    assert (body["stored"], body["duplicates"], body["errors"]) == (3, 6, 0)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["stored", "duplicate", "duplicate"] * 3
    for _ in range(2):  # and twice more, in later requests
        later = post(client, {"events": events})
        assert [r["status"] for r in later.json()["results"]] == ["duplicate"] * 3

    assert Event.objects.count() == 3
    keys = Event.objects.order_by("idempotency_key").values_list("idempotency_key", flat=True)
    assert list(keys) == ["cart-0", "cart-1", "cart-2"]
    assert sorted(f.id for f in reacted) == sorted(Event.objects.values_list("id", flat=True))
    enrolled = Enrollment.objects.filter(campaign__key="cart-rescue")
    assert sorted(enrolled.values_list("contact__email", flat=True)) == people


@pytest.mark.django_db
def test_bad_items_are_reported_by_index_and_good_ones_stored(client: Client) -> None:
    Contact.objects.create(email="known@example.com")
    future = (timezone.now() + timedelta(days=2)).isoformat()
    batch: list[Any] = [
        {"email": "known@example.com", "name": "page_view"},
        {"email": "known@example.com", "name": "Bad Name!"},
        {"name": "page_view"},
        {"email": "known@example.com", "name": "x", "properties": {"blob": "y" * 9000}},
        {"contact_id": 999999, "name": "page_view"},
        {"email": "known@example.com", "name": "x", "timestamp": "2025-05-01T12:00:00"},
        {"email": "known@example.com", "name": "x", "timestamp": future},
        "not an object",
        {"email": "not-an-address", "name": "x", "colour": "red"},
        {"email": "known@example.com", "name": "x", "idempotency_key": "k" * 201},
        {"email": "known@example.com", "contact_id": 1, "name": "x"},
        {"email": "still not an address", "name": "x"},  # refused when the batch is resolved
        {"email": "known@example.com", "name": "purchase", "properties": {"total": 20}},
    ]
    response = post(client, {"events": batch})
    assert response.status_code == 200, response.content
    body = response.json()
    results = body["results"]
    assert [r["status"] for r in results] == ["stored"] + ["error"] * 11 + ["stored"]
    assert (body["stored"], body["errors"]) == (2, 11)
    assert set(results[1]["fields"]) == {"name"}
    assert "email" in results[2]["fields"]
    assert "bytes" in results[3]["fields"]["properties"]
    assert results[4]["fields"] == {"contact_id": "no contact with id 999999"}
    assert "offset" in results[5]["fields"]["timestamp"]
    assert "future" in results[6]["fields"]["timestamp"]
    assert results[7]["fields"] == {"event": "must be a JSON object"}
    assert set(results[8]["fields"]) == {"email", "colour"}
    assert set(results[9]["fields"]) == {"idempotency_key"}
    assert set(results[10]["fields"]) == {"contact_id"}
    assert set(results[11]["fields"]) == {"email"}
    assert sorted(Event.objects.values_list("name", flat=True)) == ["page_view", "purchase"]
    assert Contact.objects.count() == 1  # the refused address made no contact


@pytest.mark.django_db
def test_wholly_bad_requests_are_400_with_field_messages(client: Client) -> None:
    for body, field in (
        ('{"name": ', "body"),
        ("[]", "body"),
        ({"events": []}, "events"),
        ({"events": "x"}, "events"),
        ({"events": [{"name": "x", "email": "a@example.com"}], "extra": 1}, "events"),
    ):
        response = post(client, body)
        assert response.status_code == 400, body
        assert field in response.json()["fields"], body
    single = post(client, {"email": "a@example.com", "name": "NO"})
    assert single.status_code == 400
    assert single.json()["error"] == "invalid event" and "name" in single.json()["fields"]
    unknown = post(client, {"contact_id": 424242, "name": "x"})
    assert unknown.status_code == 400 and "contact_id" in unknown.json()["fields"]
    batch = post(client, {"events": [{"name": "x"}, {"email": "a@example.com", "name": "!"}]})
    assert batch.status_code == 400
    assert set(batch.json()["fields"]) == {"events[0].email", "events[1].name"}
    assert [r["status"] for r in batch.json()["results"]] == ["error", "error"]
    assert Event.objects.count() == 0 and Contact.objects.count() == 0


@pytest.mark.django_db
def test_limits(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    item = {"email": "a@example.com", "name": "page_view"}
    too_many = post(client, {"events": [item] * 1001})
    assert too_many.status_code == 413 and "1000" in too_many.json()["fields"]["events"]
    assert post(client, {"events": [item] * 1000}).json()["stored"] == 1000

    huge = post(client, item | {"properties": {"text": "é" * 5000}})  # 10,000 bytes of UTF-8
    assert huge.status_code == 400 and "properties" in huge.json()["fields"]
    monkeypatch.setattr(events_api, "MAX_BODY_BYTES", 2000)
    big = post(client, {"events": [item] * 100})  # about 5,000 bytes
    assert big.status_code == 413 and "body" in big.json()["fields"]
    assert Event.objects.count() == 1000  # nothing of the refused requests went in


@pytest.mark.django_db
def test_anonymous_visitors_are_kept_and_linked_ones_resolved(client: Client) -> None:
    first = "2025-05-01T10:00:00+00:00"
    later = "2025-05-01T11:30:00+00:00"
    post(client, {"anonymous_id": "v-123", "name": "page_view", "timestamp": later})
    post(client, {"anonymous_id": "v-123", "name": "page_view", "timestamp": first})
    visitor = Visitor.objects.get(anonymous_id="v-123")
    assert visitor.contact_id is None
    assert visitor.first_seen == datetime(2025, 5, 1, 10, tzinfo=UTC)
    assert visitor.last_seen == datetime(2025, 5, 1, 11, 30, tzinfo=UTC)
    assert Event.objects.count() == 2
    assert Event.objects.filter(contact__isnull=True, anonymous_id="v-123").count() == 2

    ana = Contact.objects.create(email="ana@example.com")
    Visitor.objects.filter(id=visitor.id).update(contact=ana)
    response = post(client, {"anonymous_id": "v-123", "name": "purchase"})
    assert response.status_code == 200
    event = Event.objects.get(id=response.json()["results"][0]["id"])
    assert (event.contact_id, event.anonymous_id) == (ana.id, "v-123")
    assert Visitor.objects.get(id=visitor.id).last_seen > visitor.last_seen


@pytest.mark.django_db
def test_record_events_reports_duplicates_and_keeps_input_order(
    reacted: list[EventFact],
) -> None:
    now = timezone.now()
    ana = Contact.objects.create(email="ana@example.com")
    items = [
        EventInput(name="opened", contact_id=ana.id, source="email", delivery_id=7),
        EventInput(name="clicked", contact_id=ana.id, idempotency_key="c-1"),
        EventInput(name="clicked", contact_id=ana.id, idempotency_key="c-1"),
        EventInput(name="page_view", email="new@example.com"),
        EventInput(name="page_view", contact_id=ana.id, source="nowhere"),
    ]
    report = do_record_events(items, now)
    assert [f.name for f in report.stored] == ["opened", "clicked", "page_view"]
    assert report.stored_indexes == [0, 1, 3]
    assert report.duplicates == [2]
    assert set(report.errors) == {4}
    assert report.stored[0].delivery_id == 7
    assert [f.id for f in reacted] == [f.id for f in report.stored]
    stored = Event.objects.get(id=report.stored[0].id)
    assert (stored.source, stored.delivery_id) == ("email", 7)
    again = do_record_events(items[1:2], now)
    assert (again.stored, again.duplicates) == ([], [0])


@pytest.mark.django_db
@pytest.mark.parametrize("contact_id", [2**63, 72636960602372471521280])
def test_a_contact_id_past_64_bits_is_refused(client: Client, contact_id: int) -> None:
    response = post(client, {"contact_id": contact_id, "name": "x"})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "contact_id": "must be a positive whole number (an id we gave)"
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("timestamp", "problem"),
    [
        ("2025-06-19T19:56:01-20:39", "its UTC offset must be from -14:00 to +14:00"),
        ("2025-06-19T19:56:01+14:01", "its UTC offset must be from -14:00 to +14:00"),
        ("0085-06-19T19:56:01Z", "is before 1970"),
        ("0001-01-01T00:00:00+14:00", "is before 1970"),
    ],
)
def test_a_timestamp_no_clock_shows_is_refused(
    client: Client, timestamp: str, problem: str
) -> None:
    response = post(client, {"anonymous_id": "visitor-1", "name": "x", "timestamp": timestamp})
    assert response.status_code == 400
    assert response.json()["fields"] == {"timestamp": problem}
    ok = post(
        client, {"anonymous_id": "visitor-1", "name": "x", "timestamp": "2025-06-19T19:56:01+14:00"}
    )
    assert ok.status_code == 200, ok.json()
