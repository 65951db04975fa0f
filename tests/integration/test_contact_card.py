"""The contact card (``goteo contacts show``, ``GET /api/v1/contacts/<email>``) and listing
contacts by condition with cursor paging (``goteo contacts list``, ``GET /api/v1/contacts``)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone
from tests.integration.flow_helpers import add_contacts, apply, simple_template
from tests.integration.test_openapi import problems, response_schema

from goteo.actions.api_keys import do_create_api_key
from goteo.actions.subscriptions import do_subscribe
from goteo.cli import main
from goteo.contacts.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)

AUTH = {"Authorization": "Bearer test-api-key"}
ANA = "ana@example.com"


@pytest.fixture
def crowd() -> dict[str, int]:
    """Ana (a hot Spanish lead in a journey) and five others, by id order."""
    apply(
        "welcome",
        [{"id": "hello", "wait": "1d"}, {"id": "bye", "send": "email", "template": "bye"}],
        {"bye": simple_template("Bye")},
        trigger={"subscribed": "news"},
    )
    ids = add_contacts(
        {"email": ANA, "first_name": "Ana", "locale": "es", "plan": "pro", "seats": 3},
        *({"email": f"p{n}@example.com", "locale": "es" if n % 2 else "en"} for n in range(5)),
    )
    Contact.objects.filter(id=ids[ANA]).update(tags=["vip", "beta"], score=72.5, owner="sam@x.co")
    do_subscribe([ids[ANA]], "news", timezone.now())
    return ids


def invoke(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_show_prints_attributes_tags_score_owner_and_journeys(crowd: dict[str, int]) -> None:
    out = invoke("contacts", "show", "Ana@Example.com")
    lines = out.splitlines()
    assert "attributes:      " in lines
    assert "  plan: pro" in lines and "  seats: 3" in lines
    assert "tags:            vip, beta" in lines
    assert "score:           72.5" in lines and "owner:           sam@x.co" in lines
    assert "subscriptions:   news" in lines
    journey = lines[lines.index("journeys:") + 3]
    assert journey.split()[:5] == [
        "welcome",
        "v1",
        "active",
        "hello",
        "20" + journey.split()[4][2:],
    ]
    bare = invoke("contacts", "show", "p0@example.com").splitlines()
    assert "attributes:      (none)" in bare and "journeys:        (none)" in bare
    assert "owner:           (nobody)" in bare and "tags:            (none)" in bare

    shown = json.loads(invoke("contacts", "show", ANA, "--json"))
    assert (shown["tags"], shown["score"], shown["owner"]) == (["vip", "beta"], 72.5, "sam@x.co")
    (journey_row,) = shown["journeys"]
    assert (journey_row["campaign"], journey_row["step"], journey_row["status"]) == (
        "welcome",
        "hello",
        "active",
    )
    assert shown["subscriptions"] == ["news"] and shown["preferences_url"]


def untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if not k.endswith(("_at", "_until"))}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def test_the_api_card_is_the_same_card_and_matches_its_schema(
    crowd: dict[str, int], client: Client
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    body = client.get(f"/api/v1/contacts/{ANA}", headers=AUTH).json()
    shown = json.loads(invoke("contacts", "show", ANA, "--json"))
    shown.pop("preferences_url")
    assert untimed(body) == untimed(shown)  # times are written differently, the same moments
    schema = response_schema(document["paths"]["/api/v1/contacts/{email}"]["get"], 200)
    assert schema is not None and problems(schema, body, document) == []


def test_list_filters_by_condition_and_pages(crowd: dict[str, int]) -> None:
    spanish = json.loads(invoke("contacts", "list", "--where", "{locale: es}", "--json"))
    assert [c["email"] for c in spanish["contacts"]] == [ANA, "p1@example.com", "p3@example.com"]
    assert spanish["next_cursor"] is None
    hot = json.loads(invoke("contacts", "list", "--where", '{"score": {"gte": 50}}', "--json"))
    assert [(c["email"], c["score"], c["tags"]) for c in hot["contacts"]] == [
        (ANA, 72.5, ["vip", "beta"])
    ]

    first = invoke("contacts", "list", "--limit", "4").splitlines()
    assert first[0].split() == ["email", "name", "status", "locale", "score", "owner", "tags"]
    assert [line.split()[0] for line in first[2:6]] == [
        ANA, "p0@example.com", "p1@example.com", "p2@example.com",
    ]  # fmt: skip
    cursor = str(crowd["p2@example.com"])
    assert first[6] == f"more: goteo contacts list --limit 4 --after {cursor}"
    rest = json.loads(invoke("contacts", "list", "--limit", "4", "--after", cursor, "--json"))
    assert [c["email"] for c in rest["contacts"]] == ["p3@example.com", "p4@example.com"]
    assert rest["next_cursor"] is None
    assert invoke("contacts", "list", "--where", "{locale: fr}") == "no contacts match\n"


def test_list_names_what_is_wrong(crowd: dict[str, int]) -> None:
    out = invoke("contacts", "list", "--where", "{score: {exist: true}}", code=1)
    assert "where.score" in out
    out = invoke("contacts", "list", "--where", "{locale: es", code=1)
    assert "where: line 1:" in out
    assert "limit: a whole number from 1 to 1000" in invoke(
        "contacts", "list", "--limit", "0", code=1
    )
    assert "cursor:" in invoke("contacts", "list", "--after", "x", code=1)


def get_list(client: Client, headers: dict[str, str] = AUTH, **query: str) -> Any:
    return client.get(f"/api/v1/contacts?{urlencode(query)}", headers=headers)


def test_the_api_lists_by_condition_with_cursor_paging(
    crowd: dict[str, int], client: Client
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    schema = response_schema(document["paths"]["/api/v1/contacts"]["get"], 200)
    assert schema is not None
    seen: list[str] = []
    cursor = ""
    while True:
        response = get_list(client, where='{"locale": "es"}', limit="2", cursor=cursor)
        assert response.status_code == 200
        body = response.json()
        assert problems(schema, body, document) == []
        seen += [c["email"] for c in body["contacts"]]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    assert seen == [ANA, "p1@example.com", "p3@example.com"]
    assert len(get_list(client).json()["contacts"]) == 6

    refused = get_list(client, where='{"score": {"gte": "lots"}}')
    assert refused.status_code == 400 and "where.score.gte" in refused.json()["fields"]
    assert get_list(client, limit="5000").json()["fields"] == {
        "limit": "a whole number from 1 to 1000"
    }
    assert set(get_list(client, cursor="-3").json()["fields"]) == {"cursor"}


def test_listing_needs_the_read_scope_and_upserting_the_write_scope(
    crowd: dict[str, int], client: Client
) -> None:
    now = timezone.now()
    reader = {"Authorization": f"Bearer {do_create_api_key('r', ['contacts:read'], now).key}"}
    writer = {"Authorization": f"Bearer {do_create_api_key('w', ['contacts:write'], now).key}"}
    assert get_list(client, reader).status_code == 200
    assert get_list(client, writer).status_code == 403
    assert get_list(client, {}).status_code == 401
    body = json.dumps({"email": "new@example.com"})
    post = client.post(
        "/api/v1/contacts", data=body, content_type="application/json", headers=reader
    )
    assert post.status_code == 403
    post = client.post(
        "/api/v1/contacts", data=body, content_type="application/json", headers=writer
    )
    assert post.status_code == 201
    assert client.delete("/api/v1/contacts", headers=AUTH).status_code == 405
