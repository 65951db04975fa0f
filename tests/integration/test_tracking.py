"""The tracking endpoints through Django's test client: the snippet, collect, identify and the
merge, Do-Not-Track, CORS, limits, and the merge on a form submission."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from tests.integration.form_helpers import apply_form, post
from tests.integration.tracking_helpers import EXPECTED_LINKS, path_of, send_tracked
from tests.smtp_sink import SmtpSink

from goteo.actions.contacts import do_upsert_contact
from goteo.actions.visitors import EVENTS_PER_MINUTE
from goteo.campaigns.models import Delivery
from goteo.contacts.models import Consent, Contact, Event, Subscription, Visitor
from goteo.web.tracking.payload import MAX_BODY, MAX_EVENTS

pytestmark = pytest.mark.django_db
SITE = "https://www.shop.example"
OWN = "http://testserver"


@pytest.fixture(autouse=True)
def fresh_limits(settings: Any) -> Iterator[None]:
    """The per-address limits live in the cache; every test starts with none used."""
    settings.GOTEO_TRACKING_ORIGINS = [SITE]
    cache.clear()
    yield
    cache.clear()


def visitor() -> str:
    return uuid.uuid4().hex


def page_view(url: str, title: str = "Home", referrer: str = "") -> dict[str, Any]:
    properties = {"url": url, "title": title, "referrer": referrer}
    return {"id": uuid.uuid4().hex, "name": "page_view", "properties": properties}


def collect(client: Client, body: Any, origin: str | None = SITE, **headers: str) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if origin is not None:
        headers["Origin"] = origin
    return client.post("/t/collect", data=data, content_type="text/plain", headers=headers)


def test_the_snippet_is_small_cacheable_javascript(client: Client) -> None:
    response = client.get("/t.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=3600" in response["Cache-Control"]
    assert len(response.content) < 8000
    assert b"/t/collect" in response.content and b"sendBeacon" in response.content
    again = client.get("/t.js", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_page_views_are_stored_under_the_visitor(client: Client) -> None:
    aid = visitor()
    first = page_view(f"{SITE}/", "Shop", "https://search.example/")
    second = page_view(f"{SITE}/pricing", "Pricing", f"{SITE}/")
    response = collect(client, {"anonymous_id": aid, "events": [first, second]})
    assert response.status_code == 204 and response.content == b""
    assert response["Access-Control-Allow-Origin"] == SITE
    events = list(Event.objects.filter(anonymous_id=aid).order_by("id"))
    assert [e.properties for e in events] == [first["properties"], second["properties"]]
    assert {(e.name, e.source, e.contact_id) for e in events} == {("page_view", "tracking", None)}
    assert Visitor.objects.get(anonymous_id=aid).contact_id is None
    # A beacon sent twice (the same event ids) is stored once.
    assert collect(client, {"anonymous_id": aid, "events": [first]}).status_code == 204
    assert Event.objects.filter(anonymous_id=aid).count() == 2


def test_identify_merges_the_history_without_consent(client: Client) -> None:
    aid = visitor()
    collect(client, {"anonymous_id": aid, "events": [page_view(f"{SITE}/a"), page_view("b")]})
    response = collect(client, {"anonymous_id": aid, "email": "Zoe@Example.com", "events": []})
    assert response.status_code == 204 and response.content == b""
    contact = Contact.objects.get(email="zoe@example.com")
    assert Event.objects.filter(anonymous_id=aid, contact=contact).count() == 2
    found = Visitor.objects.get(anonymous_id=aid)
    assert found.contact_id == contact.id and found.identified_at is not None
    # Identifying is not subscribing: no topic, no consent record.
    assert not Subscription.objects.filter(contact=contact).exists()
    assert not Consent.objects.filter(contact=contact).exists()
    # Later events of the identified visitor belong to the contact at once.
    collect(client, {"anonymous_id": aid, "events": [page_view(f"{SITE}/c")]})
    assert Event.objects.filter(contact=contact).count() == 3


def test_identifying_someone_else_reveals_nothing(client: Client) -> None:
    victim = do_upsert_contact({"email": "victim@example.com"}).contact
    theirs = visitor()
    collect(client, {"anonymous_id": theirs, "email": victim.email, "events": []})
    collect(client, {"anonymous_id": theirs, "events": [page_view(f"{SITE}/secret-plan")]})
    before = set(Event.objects.filter(contact=victim).values_list("id", "anonymous_id"))

    known = collect(client, {"anonymous_id": visitor(), "email": victim.email, "events": []})
    unknown = collect(client, {"anonymous_id": visitor(), "email": "new@example.com"})
    # The same empty answer whether the address is known or not, and no history moved over.
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.content == b"" and not known.has_header("Set-Cookie")
    after = set(Event.objects.filter(contact=victim).values_list("id", "anonymous_id"))
    assert after == before
    assert Event.objects.filter(anonymous_id=theirs).count() == 1


@pytest.mark.parametrize("header", [{"DNT": "1"}, {"Sec-GPC": "1"}])
def test_do_not_track_and_gpc_drop_everything(client: Client, header: dict[str, str]) -> None:
    aid = visitor()
    body = {"anonymous_id": aid, "email": "dnt@example.com", "events": [page_view(SITE)]}
    response = collect(client, body, **header)
    assert response.status_code == 204
    assert not Event.objects.filter(anonymous_id=aid).exists()
    assert not Visitor.objects.filter(anonymous_id=aid).exists()
    assert not Contact.objects.filter(email="dnt@example.com").exists()
    name = next(iter(header))
    assert response["Goteo-Dropped"] == f"everything: the request has {name}: 1"


def test_cors_preflight_and_origins(client: Client, settings: Any) -> None:
    preflight = {
        "Origin": SITE,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    ok = client.options("/t/collect", headers=preflight)
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == SITE
    assert "POST" in ok["Access-Control-Allow-Methods"]
    assert ok["Access-Control-Allow-Headers"].lower() == "content-type"
    assert "Origin" in ok["Vary"]

    evil = client.options("/t/collect", headers=preflight | {"Origin": "https://evil.example"})
    assert evil.status_code == 403 and not evil.has_header("Access-Control-Allow-Origin")
    aid = visitor()
    refused = collect(
        client, {"anonymous_id": aid, "events": [page_view("x")]}, "https://evil.example"
    )
    assert refused.status_code == 403 and not refused.has_header("Access-Control-Allow-Origin")
    assert not Event.objects.filter(anonymous_id=aid).exists()

    # With no origins configured, only this server's own pages may send.
    settings.GOTEO_TRACKING_ORIGINS = []
    assert collect(client, {"anonymous_id": aid, "events": []}, SITE).status_code == 403
    own = collect(client, {"anonymous_id": aid, "events": [page_view(OWN)]}, OWN)
    assert own.status_code == 204 and own["Access-Control-Allow-Origin"] == OWN
    assert Event.objects.filter(anonymous_id=aid).count() == 1


def test_bad_bodies_are_refused(client: Client) -> None:
    aid = visitor()
    assert collect(client, b"not json").status_code == 400
    assert collect(client, {"anonymous_id": "short", "events": []}).status_code == 400
    assert collect(client, {"anonymous_id": aid, "events": {}}).status_code == 400
    big = {"anonymous_id": aid, "events": [page_view("x" * MAX_BODY)]}
    assert collect(client, big).status_code == 400
    assert client.get("/t/collect").status_code == 405
    assert not Event.objects.exists()


def test_only_sensible_events_are_kept(client: Client) -> None:
    aid = visitor()
    events = [page_view(f"{SITE}/{i}") for i in range(MAX_EVENTS + 5)]
    events[0] = {"name": "Bad Name!", "properties": {}}
    events[1] = {"name": "big", "properties": {"blob": "x" * 3000}}
    events[2] = {"name": "listy", "properties": []}
    response = collect(client, {"anonymous_id": aid, "events": events})
    assert response.status_code == 204
    assert Event.objects.filter(anonymous_id=aid).count() == MAX_EVENTS - 3
    assert response["Goteo-Dropped"].split("; ") == [
        "events[0]: name must be 1 to 64 lower-case letters, digits, _ or -",
        "events[1]: properties are larger than 2048 bytes as JSON",
        "events[2]: properties must be an object",
        f"events[{MAX_EVENTS}:]: 5 past the limit of {MAX_EVENTS} a request",
    ]


def test_an_event_with_a_short_id_is_dropped_saying_why(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    aid = visitor()
    short, kept = page_view(f"{SITE}/a"), page_view(f"{SITE}/b")
    short["id"] = "abc123"
    with caplog.at_level(logging.INFO, logger="goteo.web.tracking.snippet"):
        response = collect(client, {"anonymous_id": aid, "events": [short, kept]})
    assert response.status_code == 204 and response.content == b""
    assert response["Goteo-Dropped"] == "events[0]: id is shorter than 8 characters"
    assert response["Access-Control-Expose-Headers"] == "Goteo-Dropped"
    stored = Event.objects.filter(anonymous_id=aid).values_list("properties__url", flat=True)
    assert list(stored) == [f"{SITE}/b"]
    logged = [
        (r.levelno, r.getMessage())
        for r in caplog.records
        if r.name == "goteo.web.tracking.snippet"
    ]
    why = "events[0]: id is shorter than 8 characters"
    assert logged == [(logging.INFO, f"/t/collect dropped {why}")]
    everything_kept = collect(client, {"anonymous_id": aid, "events": [page_view(SITE)]})
    assert "Goteo-Dropped" not in everything_kept


def test_a_chatty_visitor_is_limited(client: Client) -> None:
    aid = visitor()
    for _ in range(EVENTS_PER_MINUTE // MAX_EVENTS):
        body = {"anonymous_id": aid, "events": [page_view(SITE) for _ in range(MAX_EVENTS)]}
        assert collect(client, body).status_code == 204
    limited = collect(client, {"anonymous_id": aid, "events": [page_view(SITE)]})
    assert limited.status_code == 429
    assert Event.objects.filter(anonymous_id=aid).count() == EVENTS_PER_MINUTE


def test_identifies_from_one_address_are_limited(client: Client) -> None:
    answers = [
        collect(client, {"anonymous_id": visitor(), "email": f"p{i}@example.com"})
        for i in range(12)
    ]
    assert Contact.objects.filter(email__startswith="p").count() == 10
    assert [r.get("Goteo-Dropped") for r in answers] == [None] * 10 + [
        "email: over 10 identifies a minute from here"
    ] * 2


@pytest.mark.parametrize("how", ["cookie", "field"])
def test_a_form_submission_merges_the_visitor(client: Client, how: str) -> None:
    apply_form(double_opt_in=False)
    aid = visitor()
    collect(client, {"anonymous_id": aid, "events": [page_view(f"{SITE}/pricing")]})
    data = {"email": "form@example.com", "first_name": "Flor"}
    if how == "cookie":  # the snippet runs on the same site as the form
        client.cookies["_goteo_aid"] = aid
    else:  # an embedded form on another site: the snippet filled in the hidden field
        data["_goteo_aid"] = aid
    response = post(client, "/f/signup/submit", data)
    assert response.status_code == 200
    contact = Contact.objects.get(email="form@example.com")
    assert Event.objects.get(anonymous_id=aid).contact_id == contact.id
    assert Visitor.objects.get(anonymous_id=aid).contact_id == contact.id


def test_a_form_submission_without_a_visitor_changes_no_events(client: Client) -> None:
    apply_form(double_opt_in=False)
    aid = visitor()
    collect(client, {"anonymous_id": aid, "events": [page_view(SITE)]})
    response = post(client, "/f/signup/submit", {"email": "plain@example.com", "_goteo_aid": "x"})
    assert response.status_code == 200
    assert Event.objects.get(anonymous_id=aid).contact_id is None


@pytest.mark.django_db(transaction=True)
def test_pixel_and_redirect_of_a_sent_message(smtp_sink: SmtpSink, client: Client) -> None:
    (sent,) = send_tracked(smtp_sink, "ana")
    pixel = client.get(path_of(sent.pixel_url()))
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a")
    link = path_of(next(h for h in sent.hrefs() if "/l/" in h))
    redirect = client.get(link)
    assert redirect.status_code == 302 and redirect["Location"] == EXPECTED_LINKS[0]
    assert redirect["Referrer-Policy"] == "no-referrer"
    assert client.get(link[:-1]).status_code == 404
    assert client.get(link + "A").status_code == 404
    delivery = Delivery.objects.get(id=sent.delivery.id)
    assert (delivery.opens, delivery.clicks) == (1, 1)
    names = Event.objects.filter(delivery_id=delivery.id).values_list("name", flat=True)
    assert sorted(names) == ["clicked", "opened"]
