"""The HTTP surface through Django's test client: health, the API, unsubscribe, the outbox page."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.contacts.models import Contact, ContactStatus
from goteo.contacts.tokens import unsubscribe_token

AUTH = {"Authorization": "Bearer test-api-key"}

CAMPAIGN = """\
key: api-welcome
name: API welcome
trigger: {subscribed: news}
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello</p>"}
"""


def post_contact(client: Client, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(
        "/api/v1/contacts", data=data, content_type="application/json", headers=AUTH | headers
    )


@pytest.mark.django_db
def test_health_names_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    expected = "postgresql" if os.environ.get("GOTEO_TEST_DB") == "postgres" else "sqlite"
    assert response.json() == {"status": "ok", "database": expected}


@pytest.mark.django_db
def test_api_needs_the_bearer_key(client: Client, settings: Any) -> None:
    for path in ("/api/v1/campaigns", "/api/v1/deliveries", "/api/v1/contacts/a@example.com"):
        assert client.get(path).status_code == 401, path
        wrong = client.get(path, headers={"Authorization": "Bearer not-the-key"})
        assert wrong.status_code == 401, path
        assert "API key" in wrong.json()["error"]
        assert (
            client.get(path, headers={"Authorization": "Basic dGVzdC1hcGkta2V5"}).status_code == 401
        )
    assert client.get("/api/v1/campaigns", headers=AUTH).status_code == 200
    assert post_contact(client, {"email": "a@example.com"}, Authorization="").status_code == 401
    assert Contact.objects.count() == 0

    settings.GOTEO_API_KEY = ""
    disabled = client.get("/api/v1/campaigns", headers=AUTH)
    assert disabled.status_code == 403 and "GOTEO_API_KEY" in disabled.json()["error"]


@pytest.mark.django_db
def test_post_contact_refuses_bad_input_field_by_field(client: Client) -> None:
    malformed = post_contact(client, '{"email": ')
    assert malformed.status_code == 400 and "body" in malformed.json()["fields"]
    assert post_contact(client, b"\xff\xff").status_code == 400
    for body in ("[]", '"ana@example.com"', "null", ""):
        response = post_contact(client, body)
        assert response.status_code == 400, body
        assert response.json()["error"] == "the body must be a JSON object"

    bad = post_contact(
        client, {"email": "ana@", "locale": "en us!", "timezone": "Mars/Olympus_Mons"}
    )
    assert bad.status_code == 400
    fields = bad.json()["fields"]
    assert set(fields) == {"email", "locale", "timezone"}
    assert "'en us!' is not a locale" in fields["locale"]
    assert "'Mars/Olympus_Mons' is not a known time zone" in fields["timezone"]
    attributes = post_contact(client, {"email": "ana@example.com", "attributes": ["x"]})
    assert attributes.status_code == 400 and "attributes" in attributes.json()["fields"]

    status = post_contact(client, {"email": "ana@example.com", "status": "active"})
    assert status.status_code == 400
    assert status.json()["fields"] == {"status": "cannot be set here"}
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_post_contact_creates_then_updates_by_email(client: Client) -> None:
    created = post_contact(
        client,
        {"email": "Ana@Example.COM", "first_name": "Ana", "locale": "es", "plan": "pro"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["email"] == "ana@example.com" and body["status"] == "active"
    assert body["attributes"] == {"plan": "pro"}

    updated = post_contact(
        client,
        {"email": "ana@EXAMPLE.com", "timezone": "Europe/Madrid", "attributes": {"vip": True}},
    )
    assert updated.status_code == 200
    again = updated.json()
    assert again["id"] == body["id"]
    assert (again["first_name"], again["locale"], again["timezone"]) == (
        "Ana",
        "es",
        "Europe/Madrid",
    )
    assert again["attributes"] == {"plan": "pro", "vip": True}
    assert Contact.objects.count() == 1

    found = client.get("/api/v1/contacts/ANA@example.com", headers=AUTH)
    assert found.status_code == 200
    assert found.json()["id"] == body["id"] and found.json()["timezone"] == "Europe/Madrid"
    missing = client.get("/api/v1/contacts/nobody@example.com", headers=AUTH)
    assert missing.status_code == 404
    invalid = client.get("/api/v1/contacts/not-an-email", headers=AUTH)
    assert invalid.status_code == 400 and "email" in invalid.json()["fields"]


@pytest.mark.django_db
def test_deliveries_validate_their_filters(client: Client) -> None:
    refused = ("status=delivered", "status=", "limit=ten", "limit=", "status=sent&limit=1.5")
    for query in (*refused, "limit=0", "limit=-5"):
        response = client.get(f"/api/v1/deliveries?{query}", headers=AUTH)
        assert response.status_code == 400, query
        assert set(response.json()["fields"]) <= {"status", "limit"}
    for query in ("", "status=sent&limit=5", "status=pending", "limit=100000"):
        response = client.get(f"/api/v1/deliveries?{query}", headers=AUTH)
        assert response.status_code == 200, query
        assert response.json() == {"deliveries": []}


@pytest.mark.django_db
def test_campaigns_lists_an_applied_campaign(client: Client) -> None:
    assert client.get("/api/v1/campaigns", headers=AUTH).json() == {"campaigns": []}
    do_apply_campaign(CAMPAIGN)
    do_apply_campaign(CAMPAIGN.replace("Hello</p>", "Hello again</p>"))
    assert client.get("/api/v1/campaigns", headers=AUTH).json() == {
        "campaigns": [
            {
                "key": "api-welcome",
                "name": "API welcome",
                "status": "active",
                "status_reason": "",
                "version": 2,
                "trigger": {"kind": "subscribed", "value": "news"},
                "active": 0,
                "enrolled": 0,
            }
        ]
    }


def status_of(email: str) -> str:
    return Contact.objects.get(email=email).status


@pytest.mark.django_db
def test_unsubscribe_page_asks_on_get_and_acts_on_post() -> None:
    browser = Client(enforce_csrf_checks=True)
    ana = do_upsert_contact({"email": "ana@example.com"}).contact
    bob = do_upsert_contact({"email": "bob@example.com"}).contact
    url = f"/u/{unsubscribe_token(ana.id)}"

    asked = browser.get(url)
    assert asked.status_code == 200
    assert b"Unsubscribe?" in asked.content and b'<form method="post">' in asked.content
    assert status_of("ana@example.com") == ContactStatus.ACTIVE, "a GET unsubscribed"

    one_click = browser.post(
        url,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200 and b"You are unsubscribed" in one_click.content
    assert not one_click.cookies
    assert status_of("ana@example.com") == ContactStatus.UNSUBSCRIBED
    assert status_of("bob@example.com") == ContactStatus.ACTIVE
    assert b"already unsubscribed" in browser.get(url).content
    assert (
        browser.post(
            url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 200
    )
    assert status_of("ana@example.com") == ContactStatus.UNSUBSCRIBED

    multipart = browser.post(f"/u/{unsubscribe_token(bob.id)}", {"List-Unsubscribe": "One-Click"})
    assert multipart.status_code == 200 and b"You are unsubscribed" in multipart.content
    assert status_of("bob@example.com") == ContactStatus.UNSUBSCRIBED


@pytest.mark.django_db
def test_unsubscribe_refuses_tampered_and_guessed_tokens(client: Client) -> None:
    ana = do_upsert_contact({"email": "ana@example.com"}).contact
    do_upsert_contact({"email": "bob@example.com"})
    genuine = unsubscribe_token(ana.id)
    value, _, signature = genuine.partition(":")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other_key = signing.Signer(key="another-secret", salt="goteo.unsubscribe", algorithm="sha256")
    forged = [
        f"{value}:{flipped}",
        f"{format(ana.id + 1, 'x')}:{signature}",  # the next contact, same signature
        value,
        f"{value}:",
        "1",
        "1:abc",
        other_key.sign(format(ana.id, "x")),
        unsubscribe_token(10**9),  # genuine signature, nobody by that id
    ]
    for token in forged:
        for method in (client.get, client.post):
            response = method(f"/u/{token}")
            assert response.status_code == 404, (token, method)
            assert b"This link is not valid" in response.content
    assert set(Contact.objects.values_list("status", flat=True)) == {ContactStatus.ACTIVE}


@pytest.mark.django_db
def test_outbox_page_is_off_unless_enabled(client: Client, settings: Any) -> None:
    settings.GOTEO_MAILBOX = ""
    settings.GOTEO_OUTBOX_PAGE = False
    assert client.get("/outbox").status_code == 404
    assert client.get("/outbox/some-key").status_code == 404
    settings.GOTEO_OUTBOX_PAGE = True
    page = client.get("/outbox")
    assert page.status_code == 200
    assert b'id="deliveries"' in page.content and b"No deliveries yet." in page.content
    assert client.get("/outbox/some-key").status_code == 404


@pytest.mark.django_db
def test_api_key_scheme_is_case_insensitive(client: Client) -> None:
    response = client.get("/api/v1/campaigns", headers={"Authorization": "bearer test-api-key"})
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_subscribing_through_the_api_fires_the_campaign_trigger(client: Client) -> None:
    from goteo.campaigns.models import Enrollment

    do_apply_campaign(Path("examples/welcome.yaml").read_text(encoding="utf-8"))
    auth = {"Authorization": "Bearer test-api-key"}
    body = {"email": "Nuevo@Example.com", "locale": "es", "subscribe": ["newsletter"]}
    response = client.post("/api/v1/contacts", body, content_type="application/json", headers=auth)
    assert response.status_code == 201, response.content
    assert response.json()["enrolled"] == {"welcome": 1}
    assert Enrollment.objects.filter(contact__email="nuevo@example.com").count() == 1
    again = client.post("/api/v1/contacts", body, content_type="application/json", headers=auth)
    assert again.status_code == 200 and again.json()["enrolled"] == {"welcome": 0}
    bad = {"email": "x@example.com", "subscribe": ["Not A Key"]}
    refused = client.post("/api/v1/contacts", bad, content_type="application/json", headers=auth)
    assert refused.status_code == 400 and "subscribe" in refused.json()["fields"]
