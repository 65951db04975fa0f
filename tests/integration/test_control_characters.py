"""Control characters are refused in one-line fields on every entry path, naming the field.

``Eve\\x00Nul`` once went in through a CSV and out in an encoded header. The CSV import, the
contacts API, the public forms and the events API share one check (``control_problem``).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.integration.form_helpers import apply_form, post

from goteo.actions.importing import do_import_csv
from goteo.actions.visitors import TrackedEvent, do_collect
from goteo.contacts.models import Consent, Contact, Event

pytestmark = pytest.mark.django_db(transaction=True)

AUTH = {"Authorization": "Bearer test-api-key"}
HOSTILE = ["Eve\x00Nul", "Esc\x1b[31m", "Tab\there", "Del\x7f", "C1\x85line", "Sep\u2028arated"]


def post_json(client: Client, path: str, body: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=AUTH)


def test_csv_rows_with_control_characters_are_refused_by_line_and_field() -> None:
    rows = ["email,first_name,last_name,plan"]
    rows += [f"p{n}@example.com,{name},Smith,pro" for n, name in enumerate(HOSTILE)]
    rows += ["ok@example.com,Ana,Smith,pro", "bad@example.com,Ana,Smith,x\x00y"]
    report = do_import_csv(io.StringIO("\n".join(rows) + "\n"))
    assert report.created == 1
    lines = dict(report.errors)
    assert (
        lines[2] == "first_name: must be one line of text: contains a control character "
        "(U+0000) at position 4"
    )
    assert "(U+001B)" in lines[3] and "(U+0009)" in lines[4] and "(U+007F)" in lines[5]
    assert "(U+0085)" in lines[6]
    assert lines[7].startswith("first_name: must be one line of text: contains a line break")
    assert lines[9] == "attributes.plan: contains a control character (U+0000) at position 2"
    assert list(Contact.objects.values_list("email", flat=True)) == ["ok@example.com"]


def test_attribute_text_may_hold_line_breaks_and_tabs_but_no_other_control() -> None:
    report = do_import_csv(io.StringIO('email,note\nok@example.com,"one\ttwo\nthree"\n'))
    assert report.created == 1 and not report.errors
    assert Contact.objects.get().attributes == {"note": "one\ttwo\nthree"}


def test_the_contacts_api_refuses_them_field_by_field(client: Client) -> None:
    response = post_json(
        client,
        "/api/v1/contacts",
        {"email": "eve@example.com", "first_name": "Eve\x00Nul", "last_name": "Ok",
         "attributes": {"tags": ["fine", "bad\x07"]}},
    )  # fmt: skip
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"first_name", "attributes.tags"}
    assert "U+0000" in fields["first_name"] and "U+0007" in fields["attributes.tags"]
    assert not Contact.objects.exists()


def test_a_form_refuses_them_and_stores_nothing(client: Client) -> None:
    apply_form(fields=["email", "first_name"])
    response = post(client, "/f/signup/submit", {"email": "eve@example.com", "first_name": "E\x00"})
    assert response.status_code == 400
    assert "Escribe tu nombre en una sola línea" in response.content.decode()
    assert not Contact.objects.exists() and not Consent.objects.exists()


def test_the_events_api_refuses_them_in_keys_names_and_visitor_ids(client: Client) -> None:
    response = post_json(
        client,
        "/api/v1/events",
        {"events": [
            {"name": "purchase", "email": "eve@example.com", "idempotency_key": "k\x00"},
            {"name": "purchase\n", "email": "eve@example.com"},
            {"name": "page_view", "anonymous_id": "visitor-1\n"},
            {"name": "purchase", "email": "eve\x00@example.com"},
        ]},
    )  # fmt: skip
    assert response.status_code == 400
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["error"] * 4
    assert "U+0000" in results[0]["fields"]["idempotency_key"]
    assert set(results[1]["fields"]) == {"name"}
    assert set(results[2]["fields"]) == {"anonymous_id"}
    assert "U+0000" in results[3]["fields"]["email"]
    assert not Event.objects.exists()


def test_a_nul_in_event_properties_is_refused_for_that_item_only(client: Client) -> None:
    response = post_json(
        client,
        "/api/v1/events",
        {"events": [
            {"name": "purchase", "email": "eve@example.com", "properties": {"note": "a\x00b"}},
            {"name": "purchase", "email": "eve@example.com", "properties": {"k\x00": 1}},
            {"name": "purchase", "email": "eve@example.com", "properties": {"note": "a\\u0000b"}},
        ]},
    )  # fmt: skip
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["error", "error", "stored"]
    assert results[0]["fields"] == {
        "properties": "contains a NUL character (U+0000), which cannot be stored"
    }
    assert list(Event.objects.values_list("properties", flat=True)) == [{"note": "a\\u0000b"}]


def test_a_tracked_event_with_a_nul_is_left_out() -> None:
    events = [
        TrackedEvent("page_view", {"url": "/a\x00"}, "event-0001"),
        TrackedEvent("page_view", {"url": "/b"}, "event-0002"),
    ]
    assert do_collect("v" * 20, events, timezone.now()).stored == 1
    assert list(Event.objects.values_list("properties", flat=True)) == [{"url": "/b"}]
