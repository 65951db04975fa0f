"""Scoped API keys: ``goteo api-key`` create/list/revoke, and what each key may call."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone

from goteo.actions.api_keys import do_create_api_key
from goteo.cli import main
from goteo.contacts.models import ApiKey, Contact

EVENT = {"email": "ana@example.com", "name": "page_view"}


def cli(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    return result


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post_event(client: Client, headers: dict[str, str]) -> Any:
    return client.post(
        "/api/v1/events", data=json.dumps(EVENT), content_type="application/json", headers=headers
    )


@pytest.mark.django_db
def test_create_prints_the_key_once_and_stores_only_its_hash(client: Client) -> None:
    created = cli("api-key", "create", "--name", "shop", "--scope", "events:write", "--json")
    assert created.exit_code == 0, created.output
    info = json.loads(created.output)
    key = info["key"]
    row = ApiKey.objects.get()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key.startswith(row.prefix) and row.prefix == info["prefix"]
    assert row.scopes == ["events:write"] and row.name == "shop"
    stored = json.dumps(list(ApiKey.objects.values()), default=str)
    assert key not in stored and key[len(row.prefix) :] not in stored

    listed = cli("api-key", "list", "--json")
    assert listed.exit_code == 0 and key not in listed.output
    [entry] = json.loads(listed.output)
    assert (entry["prefix"], entry["scopes"], entry["last_used_at"]) == (
        row.prefix,
        ["events:write"],
        None,
    )
    assert post_event(client, bearer(key)).status_code == 200
    human = cli("api-key", "list")
    assert row.prefix in human.output and "never" not in human.output

    revoked = cli("api-key", "revoke", row.prefix)
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    refused = post_event(client, bearer(key))
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]


@pytest.mark.django_db
def test_create_refuses_unknown_scopes_and_revoke_unknown_prefixes() -> None:
    bad = cli("api-key", "create", "--name", "x", "--scope", "everything")
    assert bad.exit_code != 0 and "everything" in bad.output
    missing = cli("api-key", "revoke", "gt_nothing", "--json")
    assert missing.exit_code == 1 and json.loads(missing.output)["error"] == "no such key"
    assert ApiKey.objects.count() == 0


@pytest.mark.django_db
def test_missing_wrong_revoked_and_unscoped_keys(client: Client) -> None:
    now = timezone.now()
    reader = do_create_api_key("reader", ["contacts:read"], now).key
    writer = do_create_api_key("writer", ["events:write", "contacts:write"], now).key
    assert post_event(client, {}).status_code == 401
    assert post_event(client, bearer("nope")).status_code == 401
    assert post_event(client, {"Authorization": f"Basic {writer}"}).status_code == 401

    lacking = post_event(client, bearer(reader))
    assert lacking.status_code == 403
    assert lacking.json()["error"] == "this API key lacks the scope events:write"
    assert post_event(client, bearer(writer)).status_code == 200
    assert post_event(client, bearer("test-api-key")).status_code == 200  # GOTEO_API_KEY

    Contact.objects.create(email="bo@example.com")
    detail = "/api/v1/contacts/bo@example.com"
    assert client.get(detail, headers=bearer(reader)).status_code == 200
    assert client.get(detail, headers=bearer(writer)).status_code == 403
    assert client.get(f"{detail}/export", headers=bearer(reader)).status_code == 200
    assert client.delete(detail, headers=bearer(reader)).status_code == 403
    assert client.delete(detail, headers=bearer(writer)).status_code == 200
    for path in ("/api/v1/campaigns", "/api/v1/deliveries"):
        assert client.get(path, headers=bearer(writer)).status_code == 403, path
        assert client.get(path, headers=bearer("test-api-key")).status_code == 200, path


@pytest.mark.django_db
def test_keys_work_without_the_operator_key(client: Client, settings: Any) -> None:
    settings.GOTEO_API_KEY = ""
    disabled = post_event(client, bearer("test-api-key"))
    assert disabled.status_code == 403 and "api-key create" in disabled.json()["error"]
    key = do_create_api_key("shop", ["events:write"], timezone.now()).key
    assert post_event(client, bearer(key)).status_code == 200
    assert post_event(client, bearer("test-api-key")).status_code == 401


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(client: Client) -> None:
    key = do_create_api_key("shop", ["events:write"], timezone.now()).key
    post_event(client, bearer(key))
    first = ApiKey.objects.get().last_used_at
    assert first is not None
    recent = timezone.now() - timedelta(seconds=30)
    ApiKey.objects.update(last_used_at=recent)
    post_event(client, bearer(key))
    assert ApiKey.objects.get().last_used_at == recent  # within the minute: no write
    stale = timezone.now() - timedelta(minutes=2)
    ApiKey.objects.update(last_used_at=stale)
    post_event(client, bearer(key))
    touched = ApiKey.objects.get().last_used_at
    assert touched is not None and touched > stale
