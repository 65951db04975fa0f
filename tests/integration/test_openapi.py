"""The OpenAPI document stays true: every /api/v1 route is in it and nothing else, each
operation's scope is the one its view enforces, and real requests and responses validate
against its schemas (with the small JSON Schema checker below)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from goteo.actions.api_keys import do_create_api_key
from goteo.contacts.api_scopes import SCOPES
from goteo.contacts.models import Contact

AUTH = {"Authorization": "Bearer test-api-key"}
ANNOTATIONS = {"description", "summary", "title", "examples"}
TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def problems(schema: dict[str, Any], value: Any, root: dict[str, Any], at: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema`` (the JSON Schema subset the document uses).

    An unsupported keyword is an error, so the document cannot drift outside what is checked.
    """
    found: list[str] = []
    for keyword, rule in schema.items():
        check = _KEYWORDS.get(keyword)
        if check is None:
            if keyword not in ANNOTATIONS:
                raise ValueError(f"{at}: unsupported schema keyword {keyword!r}")
            continue
        found += check(rule, value, schema, root, at)
    return found


def _ref(rule: str, value: Any, _s: Any, root: dict[str, Any], at: str) -> list[str]:
    target: Any = root
    for part in rule.removeprefix("#/").split("/"):
        target = target[part]
    return problems(target, value, root, at)


def _type(rule: str | list[str], value: Any, _s: Any, _r: Any, at: str) -> list[str]:
    names = [rule] if isinstance(rule, str) else rule
    return [] if any(TYPES[n](value) for n in names) else [f"{at}: not {'/'.join(names)}"]


def _properties(rule: dict[str, Any], value: Any, _s: Any, root: Any, at: str) -> list[str]:
    if not isinstance(value, dict):
        return []
    return [
        p
        for k, sub in rule.items()
        if k in value
        for p in problems(sub, value[k], root, f"{at}.{k}")
    ]


def _required(rule: list[str], value: Any, _s: Any, _r: Any, at: str) -> list[str]:
    if not isinstance(value, dict):
        return []
    return [f"{at}: {k} is required" for k in rule if k not in value]


def _additional(rule: Any, value: Any, schema: dict[str, Any], root: Any, at: str) -> list[str]:
    if not isinstance(value, dict):
        return []
    extra = [k for k in value if k not in schema.get("properties", {})]
    if rule is False:
        return [f"{at}: unexpected {k}" for k in extra]
    if rule is True:
        return []
    return [p for k in extra for p in problems(rule, value[k], root, f"{at}.{k}")]


def _items(rule: dict[str, Any], value: Any, _s: Any, root: Any, at: str) -> list[str]:
    if not isinstance(value, list):
        return []
    return [p for n, item in enumerate(value) for p in problems(rule, item, root, f"{at}[{n}]")]


def _count(name: str, test: Any) -> Any:
    def check(rule: Any, value: Any, _s: Any, _r: Any, at: str) -> list[str]:
        applies, ok = test(rule, value)
        return [f"{at}: {name} {rule}"] if applies and not ok else []

    return check


def _sized(kind: type[str] | type[list[Any]], minimum: bool) -> Any:
    def test(rule: int, v: Any) -> tuple[bool, bool]:
        if not isinstance(v, kind):
            return False, True
        return True, len(v) >= rule if minimum else len(v) <= rule

    return test


def _bound(minimum: bool) -> Any:
    def test(rule: Any, v: Any) -> tuple[bool, bool]:
        number = TYPES["number"](v)
        return number, number and (v >= rule if minimum else v <= rule)

    return test


def _format(rule: str, value: Any, _s: Any, _r: Any, at: str) -> list[str]:
    if rule != "date-time":
        raise ValueError(f"{at}: unsupported format {rule!r}")
    if not isinstance(value, str):
        return []
    try:
        ok = datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        ok = False
    return [] if ok else [f"{at}: {value!r} is not a date-time with an offset"]


def _any(rule: list[Any], value: Any, _s: Any, root: Any, at: str) -> list[str]:
    return [] if any(not problems(s, value, root, at) for s in rule) else [f"{at}: no anyOf"]


def _one(rule: list[Any], value: Any, _s: Any, root: Any, at: str) -> list[str]:
    matching = sum(1 for s in rule if not problems(s, value, root, at))
    return [] if matching == 1 else [f"{at}: matches {matching} of oneOf"]


def _all(rule: list[Any], value: Any, _s: Any, root: Any, at: str) -> list[str]:
    return [p for s in rule for p in problems(s, value, root, at)]


_KEYWORDS: dict[str, Any] = {
    "$ref": _ref,
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional,
    "items": _items,
    "format": _format,
    "anyOf": _any,
    "oneOf": _one,
    "allOf": _all,
    "enum": _count("enum", lambda rule, v: (True, v in rule)),
    "const": _count("const", lambda rule, v: (True, v == rule and type(v) is type(rule))),
    "pattern": _count(
        "pattern", lambda rule, v: (isinstance(v, str), isinstance(v, str) and re.search(rule, v))
    ),
    "minLength": _count("minLength", _sized(str, True)),
    "maxLength": _count("maxLength", _sized(str, False)),
    "minItems": _count("minItems", _sized(list, True)),
    "maxItems": _count("maxItems", _sized(list, False)),
    "minimum": _count("minimum", _bound(True)),
    "maximum": _count("maximum", _bound(False)),
}


def api_routes() -> set[str]:
    """Every /api/v1 route of the URL configuration, as an OpenAPI path template."""
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
                found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, ops in doc["paths"].items() for m, op in ops.items()]


def response_schema(op: dict[str, Any], status: int) -> dict[str, Any] | None:
    documented = op["responses"].get(str(status))
    assert documented is not None, f"status {status} is not documented"
    schema: dict[str, Any] | None = (
        documented.get("content", {}).get("application/json", {}).get("schema")
    )
    return schema


def check(doc: dict[str, Any], schema: dict[str, Any] | None, value: Any) -> None:
    assert schema is not None
    assert problems(schema, value, doc) == []


@pytest.mark.django_db
def test_every_api_route_is_documented_and_nothing_else(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == api_routes()
    assert "/api/v1/events" in document["paths"]
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, op in operations(document):
        assert op["summary"] and op["responses"], (path, method)
        for name in re.findall(r"{(\w+)}", path):
            assert name in [p["name"] for p in op.get("parameters", [])], (path, method)
    for _, _, op in operations(document):  # every reference resolves and every keyword is known
        for response in op["responses"].values():
            for media in response.get("content", {}).values():
                problems(media["schema"], None, document)


def request_for(path: str, method: str, client: Client, headers: dict[str, str]) -> Any:
    url = re.sub(r"{email}", "nobody@example.com", path)
    url = re.sub(r"{\w+}", "nothing-here", url)
    if method == "post":
        return client.post(url, data="{}", content_type="application/json", headers=headers)
    return client.generic(method.upper(), url, headers=headers)


@pytest.mark.django_db
def test_each_operation_enforces_its_documented_scope(
    document: dict[str, Any], client: Client
) -> None:
    now = timezone.now()
    for path, method, op in operations(document):
        scope = op.get("x-goteo-scope")
        if scope is None:
            assert op["security"] == [], (path, method)
            answer = request_for(path, method, client, {})
            assert answer.status_code == 200, (path, method)
            continue
        assert op["security"] == [{"apiKey": [scope]}], (path, method)
        others = do_create_api_key("others", [s for s in SCOPES if s != scope], now).key
        only = do_create_api_key("only", [scope], now).key
        for headers, status in (({}, 401), ({"Authorization": f"Bearer {others}"}, 403)):
            answer = request_for(path, method, client, headers)
            assert answer.status_code == status, (path, method, headers)
            check(document, response_schema(op, status), answer.json())
        answer = request_for(path, method, client, {"Authorization": f"Bearer {only}"})
        assert answer.status_code not in (401, 403), (path, method)
        schema = response_schema(op, answer.status_code)
        if schema is not None:
            check(document, schema, answer.json())


@pytest.mark.django_db
def test_real_events_requests_and_responses_match_the_schema(
    document: dict[str, Any], client: Client
) -> None:
    op = document["paths"]["/api/v1/events"]["post"]
    request_schema = op["requestBody"]["content"]["application/json"]["schema"]
    batch = {
        "events": [
            {"email": "ana@example.com", "name": "purchase", "idempotency_key": "o-1"},
            {"email": "ana@example.com", "name": "purchase", "idempotency_key": "o-1"},
            {"anonymous_id": "v-9", "name": "page_view", "timestamp": "2025-05-01T10:00:00Z"},
            {"contact_id": 123456, "name": "page_view", "properties": {"url": "/pricing"}},
        ]
    }
    check(document, request_schema, batch)
    check(document, request_schema, batch["events"][0])
    response = client.post(
        "/api/v1/events", data=json.dumps(batch), content_type="application/json", headers=AUTH
    )
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["stored", "duplicate", "stored", "error"]
    check(document, response_schema(op, 200), body)

    bad = {"events": [{"name": "Nope"}]}
    assert problems(request_schema, bad, document) != []
    refused = client.post(
        "/api/v1/events", data=json.dumps(bad), content_type="application/json", headers=AUTH
    )
    assert refused.status_code == 400
    check(document, response_schema(op, 400), refused.json())
    too_many = {"events": [batch["events"][0]] * 1001}
    assert problems(request_schema, too_many, document) != []
    over = client.post(
        "/api/v1/events", data=json.dumps(too_many), content_type="application/json", headers=AUTH
    )
    assert over.status_code == 413
    check(document, response_schema(op, 413), over.json())


@pytest.mark.django_db
def test_the_checker_finds_what_is_wrong(document: dict[str, Any], client: Client) -> None:
    Contact.objects.create(email="ana@example.com")
    op = document["paths"]["/api/v1/events"]["post"]
    schema = response_schema(op, 200)
    assert schema is not None
    good = {
        "stored": 1,
        "duplicates": 0,
        "errors": 0,
        "results": [{"index": 0, "status": "stored", "id": 5}],
    }
    assert problems(schema, good, document) == []
    for broken in (
        good | {"stored": -1},
        good | {"stored": True},
        good | {"extra": 1},
        {k: v for k, v in good.items() if k != "results"},
        good | {"results": [{"index": 0, "status": "kept"}]},
        good | {"results": [{"status": "stored"}]},
        good | {"results": "none"},
    ):
        assert problems(schema, broken, document) != [], broken
    contact = response_schema(document["paths"]["/api/v1/contacts/{email}"]["get"], 200)
    assert contact is not None
    real = client.get("/api/v1/contacts/ana@example.com", headers=AUTH).json()
    assert problems(contact, real, document) == []
    assert problems(contact, real | {"created_at": "yesterday"}, document) != []
    assert problems(contact, real | {"status": "gone"}, document) != []
    with pytest.raises(ValueError, match="unsupported"):
        problems({"uniqueItems": True}, [], document)


@pytest.mark.django_db
def test_real_contacts_requests_and_answers_match_the_schema(
    document: dict[str, Any], client: Client
) -> None:
    """The contact operations, whose bodies their views read themselves: what the upsert is
    sent and every answer about the contact (created, updated, listed, its card, its export,
    its erasure) validate against the document."""
    upsert = document["paths"]["/api/v1/contacts"]["post"]
    request_schema = upsert["requestBody"]["content"]["application/json"]["schema"]
    body = {
        "email": "Ana@Example.com",
        "first_name": "Ana",
        "locale": "es",
        "attributes": {"plan": "pro"},
        "postal_address": {
            "name": "Ana",
            "lines": ["Calle Mayor 1"],
            "city": "Madrid",
            "postal_code": "28013",
            "region": "Madrid",
            "country": "ES",
        },
        "subscribe": ["news"],
        "company": "Acme",  # not a field: an attribute
    }
    check(document, request_schema, body)
    for wrong in ({"first_name": "Ana"}, body | {"email": 5}, body | {"subscribe": [1]}):
        assert problems(request_schema, wrong, document) != [], wrong
    over = body | {"postal_address": {"lines": ["1", "2", "3", "4"]}}
    assert problems(request_schema, over, document) != []

    def post(data: dict[str, Any]) -> Any:
        return client.post(
            "/api/v1/contacts", data=json.dumps(data), content_type="application/json", headers=AUTH
        )

    created = post(body)
    assert created.status_code == 201, created.json()
    assert created.json()["postal_address"]["postal_code"] == "28013"
    check(document, response_schema(upsert, 201), created.json())
    updated = post({"email": "ana@example.com", "last_name": "López"})
    assert updated.status_code == 200
    check(document, response_schema(upsert, 200), updated.json())
    refused = post({"email": "ana@example.com", "id": 7})
    assert refused.status_code == 400 and refused.json()["fields"] == {"id": "cannot be set here"}
    check(document, response_schema(upsert, 400), refused.json())

    listing = client.get("/api/v1/contacts", {"limit": "1"}, headers=AUTH)
    assert listing.status_code == 200 and len(listing.json()["contacts"]) == 1
    check(
        document, response_schema(document["paths"]["/api/v1/contacts"]["get"], 200), listing.json()
    )
    contact = document["paths"]["/api/v1/contacts/{email}"]
    card = client.get("/api/v1/contacts/ana@example.com", headers=AUTH).json()
    assert card["subscriptions"] == ["news"]
    check(document, response_schema(contact["get"], 200), card)
    assert problems(response_schema(contact["get"], 200) or {}, card | {"x": 1}, document) != []
    export = client.get("/api/v1/contacts/ana@example.com/export", headers=AUTH)
    assert export.status_code == 200
    exported = document["paths"]["/api/v1/contacts/{email}/export"]["get"]
    check(document, response_schema(exported, 200), export.json())
    erased = client.delete("/api/v1/contacts/ana@example.com", headers=AUTH)
    assert erased.status_code == 200
    check(document, response_schema(contact["delete"], 200), erased.json())
    gone = client.delete("/api/v1/contacts/ana@example.com", headers=AUTH)
    assert gone.status_code == 404
    check(document, response_schema(contact["delete"], 404), gone.json())
