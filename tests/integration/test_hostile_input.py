"""Input no database can store, and requests Django refuses, on the API and the public pages:
a 4xx naming where, nothing stored, and one log line at INFO without a traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from tests.integration.form_helpers import apply_form, apply_news_campaign

from goteo.contacts.models import Contact, Event
from goteo.web.ops.log_levels import ClientErrorsAtInfo

AUTH = {"Authorization": "Bearer test-api-key"}


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/conversions?campaign=%00", "campaign"),
        ("/api/v1/leads/hot?owner=a%00b", "owner"),
        ("/api/v1/deliveries?%00=1", "\\0"),
    ],
)
def test_a_nul_in_an_api_query_is_refused_naming_it(client: Client, path: str, field: str) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad request",
        "fields": {field: "must not contain a NUL character"},
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/u/abc%00", "/p/%00", "/o/x%00y", "/l/%00", "/c/%00"])
def test_a_nul_in_a_public_path_is_refused(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert response.content == b"path: must not contain a NUL character\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"email": "a@example.com", "name": "x", "properties": {"\\ud800": 1}}',
         "$.properties (a key)"),
        ('{"email": "a@example.com", "name": "x", "properties": {"v": NaN}}', "body"),
    ],
)  # fmt: skip
def test_event_json_that_cannot_be_stored_is_refused(client: Client, text: str, where: str) -> None:
    response = client.post(
        "/api/v1/events", data=text, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 400
    assert response.json()["fields"]["body"].startswith(where)
    assert Event.objects.count() == 0 and Contact.objects.count() == 0


@pytest.mark.django_db
def test_an_event_with_a_nul_is_refused_for_that_item_naming_the_field(client: Client) -> None:
    text = '{"email": "a@example.com", "name": "x", "properties": {"k": "a\\u0000"}}'
    response = client.post(
        "/api/v1/events", data=text, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "properties": "contains a NUL character (U+0000), which cannot be stored"
    }
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_a_contact_with_a_nul_is_refused_naming_the_field(client: Client) -> None:
    text = '{"email": "a@example.com", "first_name": "A\\u0000"}'
    response = client.post(
        "/api/v1/contacts", data=text, content_type="application/json", headers=AUTH
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["first_name"]
    assert "U+0000" in response.json()["fields"]["first_name"]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_a_collected_event_with_a_nul_is_dropped_saying_why(client: Client) -> None:
    body = '{"anonymous_id": "a1b2c3d4e5f6g7h8", "events": [{"id": "event-0001", "name": "page_view", "properties": {"t": "\\u0000"}}]}'  # noqa: E501
    response = client.post("/t/collect", data=body, content_type="text/plain")
    assert response.status_code == 204
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_a_form_post_with_a_nul_or_a_broken_body_is_refused(client: Client) -> None:
    apply_news_campaign()
    apply_form()
    nul = client.post("/f/signup/submit", data="email=a%00@example.com",
                      content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert nul.status_code == 400 and Contact.objects.count() == 0
    broken = client.post("/f/signup/submit", data=b"--x\r\nbad", content_type="multipart/form-data")
    assert broken.status_code == 400  # Django's own refusal


@pytest.mark.django_db
def test_client_errors_are_one_line_at_info(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """As the server's log handler writes them (with its filter)."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep()
    handler.addFilter(ClientErrorsAtInfo())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            assert client.get("/u/not-a-token").status_code == 404
            fields = "&".join(f"f{n}=x" for n in range(1100))  # over Django's 1,000
            too_many = client.post(
                "/p/not-a-token", data=fields, content_type="application/x-www-form-urlencoded"
            )
            assert too_many.status_code == 400
    finally:
        root.removeHandler(handler)
    lines = [(r.name, r.levelname, r.exc_info) for r in seen if r.name.startswith("django")]
    assert lines == [
        ("django.request", "INFO", None),
        ("django.security.TooManyFieldsSent", "INFO", None),
    ]  # one line each: Django does not log a refusal it logged as suspicious again


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/conversions", "/api/v1/leads/hot"])
@pytest.mark.parametrize("limit", ["%C2%B9", "%C2%B2%C2%B3", "1%C2%B9", "-1", "1001", ""])
def test_a_limit_that_is_not_a_plain_number_in_range_is_refused(
    client: Client, path: str, limit: str
) -> None:
    response = client.get(f"{path}?limit={limit}", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["fields"] == {"limit": "a whole number from 1 to 1000"}


@pytest.mark.django_db
def test_an_api_parameter_given_twice_is_refused(client: Client) -> None:
    response = client.get("/api/v1/leads/hot?limit=5&limit=9", headers=AUTH)
    assert response.status_code == 400
    assert response.json()["fields"] == {"limit": "is given more than once"}
    topics = "topics=news&topics=offers"  # forms do repeat fields
    assert (
        client.post(
            "/p/nobody", data=topics, content_type="application/x-www-form-urlencoded"
        ).status_code
        == 404
    )
