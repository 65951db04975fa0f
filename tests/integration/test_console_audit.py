"""The audit log: written by the actions (campaigns, contacts, users, API keys) with who did
it, shown at /app/audit and exported as CSV with formula-looking cells neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner
from django.utils import timezone
from tests.integration.console_helpers import PASSWORD, apply_campaign, signed_in

from goteo.accounts.models import AuditEntry
from goteo.actions.api_keys import do_create_api_key, do_revoke_api_key
from goteo.actions.audit import acting_as
from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.contacts import do_set_status, do_upsert_contact
from goteo.cli import main

pytestmark = pytest.mark.django_db


def entries() -> list[tuple[str, str, str, object, object]]:
    return [
        (e.actor, e.action, e.target, e.before, e.after) for e in AuditEntry.objects.order_by("id")
    ]


def test_campaign_changes_are_audited_with_their_author() -> None:
    apply_campaign()
    with acting_as("user:ana@example.com"):
        do_set_campaign_status("welcome", "paused", "checking the copy")
        do_set_campaign_status("welcome", "paused", "checking the copy")  # no change: no entry
        do_set_campaign_status("welcome", "active")
    assert entries() == [
        ("system", "campaign.apply", "welcome", None, {"version": 1, "name": "Welcome"}),
        (
            "user:ana@example.com",
            "campaign.pause",
            "welcome",
            {"status": "active", "reason": ""},
            {"status": "paused", "reason": "checking the copy"},
        ),
        (
            "user:ana@example.com",
            "campaign.resume",
            "welcome",
            {"status": "paused", "reason": "checking the copy"},
            {"status": "active", "reason": ""},
        ),
    ]


def test_contact_upserts_and_status_changes_are_audited() -> None:
    do_upsert_contact({"email": "Eva@Example.com", "first_name": "Eva"})
    do_upsert_contact({"email": "eva@example.com", "first_name": "Eva"})  # unchanged
    do_upsert_contact({"email": "eva@example.com", "first_name": "Eve", "plan": "pro"})
    do_set_status("eva@example.com", "unsubscribed", "asked by phone")
    assert entries() == [
        ("system", "contact.create", "eva@example.com", None, {"first_name": "Eva"}),
        (
            "system",
            "contact.update",
            "eva@example.com",
            {"first_name": "Eva", "attributes": {}},
            {"first_name": "Eve", "attributes": {"plan": "pro"}},
        ),
        (
            "system",
            "contact.status",
            "eva@example.com",
            {"status": "active"},
            {"status": "unsubscribed", "detail": "asked by phone"},
        ),
    ]


def test_api_key_changes_are_audited_without_the_key() -> None:
    created = do_create_api_key("shop", ["events:write"], timezone.now())
    do_revoke_api_key(created.row.prefix, timezone.now())
    actions = [(a, t) for _, a, t, _, _ in entries()]
    assert actions == [
        ("api_key.create", created.row.prefix),
        ("api_key.revoke", created.row.prefix),
    ]
    assert created.key not in str(entries())


def test_the_command_line_signs_its_changes_and_never_records_passwords() -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["user", "create", "lea@example.com", "--role", "editor", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "created lea@example.com (editor)" in result.output
    result = runner.invoke(main, ["user", "set-role", "lea@example.com", "viewer"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["user", "list", "--json"])
    assert '"role": "viewer"' in listed.output
    assert entries() == [
        ("cli", "user.create", "lea@example.com", None, {"role": "editor"}),
        ("cli", "user.role", "lea@example.com", {"role": "editor"}, {"role": "viewer"}),
    ]
    assert PASSWORD not in str(entries())


def test_a_weak_password_or_unknown_role_is_refused_by_name() -> None:
    runner = CliRunner()
    weak = runner.invoke(
        main, ["user", "create", "lea@example.com", "--role", "admin", "--password-stdin"],
        input="123\n",
    )  # fmt: skip
    assert weak.exit_code == 1
    assert "password refused" in weak.output and "password:" in weak.output
    missing = runner.invoke(main, ["user", "set-role", "nobody@example.com", "admin"])
    assert missing.exit_code == 1 and "nobody@example.com has no account" in missing.output
    assert entries() == []


def test_pausing_in_the_app_is_audited_and_listed_and_exported_safely() -> None:
    apply_campaign()
    client = signed_in("editor")
    response = client.post("/app/campaigns/welcome/status", {"status": "paused", "reason": "=1+2"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="campaign.pause")
    assert entry.actor == "user:editor@example.com"
    assert entry.after == {"status": "paused", "reason": "=1+2"}
    page = client.get("/app/audit").content.decode()
    assert "campaign.pause" in page and "user:editor@example.com" in page
    assert "{&quot;reason&quot;: &quot;=1+2&quot;, &quot;status&quot;: &quot;paused&quot;}" in page
    filtered = client.get("/app/audit?q=user.create").content.decode()
    assert "campaign.pause" not in filtered and "user.create" in filtered
    export = client.get("/app/audit.csv")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0] == ["at", "actor", "action", "target", "before", "after"]
    pause = next(r for r in rows if r[2] == "campaign.pause")
    assert pause[5] == '{"reason": "=1+2", "status": "paused"}'  # starts with {: left alone
    do_upsert_contact({"email": "eva@example.com", "first_name": "=HYPERLINK(1)"})
    rows = list(csv.reader(io.StringIO(client.get("/app/audit.csv").content.decode())))
    created = next(r for r in rows if r[2] == "contact.create")
    assert created[3] == "eva@example.com"
    with acting_as("=cmd|' /C calc'!A0"):
        do_set_status("eva@example.com", "bounced")
    rows = list(csv.reader(io.StringIO(client.get("/app/audit.csv").content.decode())))
    status = next(r for r in rows if r[2] == "contact.status")
    assert status[1] == "'=cmd|' /C calc'!A0"  # neutralised: a spreadsheet shows it as text
