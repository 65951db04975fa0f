"""Data rights end to end: export everything about a contact, erase it, and what remains.

Ana subscribes (with a consent record), gets a message from the worker over SMTP, and her
provider reports an open; Bob, who stays, has the same. Ana's data is exported (action, API,
command line), then erased: no row mentions her address any more, only its hash stays, on the
suppression list. Imported again, she gets nothing until she confirms a fresh opt-in.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.apps import apps
from django.test import Client
from tests.integration.flow_helpers import (
    T0,
    Inbox,
    add_contacts,
    apply,
    close_worker,
    make_worker,
    simple_template,
)
from tests.smtp_sink import SmtpSink

from goteo.actions.confirming import do_confirm
from goteo.actions.errors import ActionError
from goteo.actions.gdpr import do_erase_contact, do_export_contact
from goteo.actions.gdpr_sections import SECTIONS
from goteo.actions.importing import do_import_csv
from goteo.actions.subscriptions import do_subscribe
from goteo.campaigns.models import Delivery, DeliveryStatus, Enrollment
from goteo.cli import main
from goteo.contacts.models import (
    Consent,
    ConsentText,
    Contact,
    Event,
    ProviderEvent,
    ScoreEntry,
    Subscription,
    Suppression,
)
from goteo.contacts.suppression_keys import email_hash
from goteo.contacts.tokens import confirm_token
from goteo.engine.clock import ManualClock
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

ANA, BOB = "ana@example.com", "bob@example.com"
WORDING = "Send me the newsletter. I can leave whenever I want."
AUTH = {"Authorization": "Bearer test-api-key"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def worker(smtp_sink: SmtpSink, clock: ManualClock) -> Iterator[Worker]:
    w = make_worker(smtp_sink, clock)
    yield w
    close_worker(w)


def consent_for(contact_id: int, text: ConsentText, confirmed: bool = True) -> Consent:
    return Consent.objects.create(
        contact_id=contact_id,
        consent_text=text,
        topics=["news"],
        source="form",
        ip="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        submitted_at=T0 - timedelta(minutes=5),
        confirmed_at=T0 if confirmed else None,
    )


@pytest.fixture
def world(worker: Worker, clock: ManualClock) -> dict[str, int]:
    """Ana and Bob, subscribed with consent, one message each sent, one provider report each."""
    apply(
        "welcome",
        [
            {"id": "hello", "send": "email", "template": "hello"},
            {"id": "pause", "wait": "1d"},
            {"id": "again", "send": "email", "template": "again"},
        ],
        {
            "hello": simple_template("Hello {{ contact.first_name | default: 'you' }}"),
            "again": simple_template("Again"),
        },
        trigger={"subscribed": "news"},
    )
    ids = add_contacts(
        {"email": ANA, "first_name": "Ana", "timezone": "Europe/Madrid", "plan": "pro"},
        {"email": BOB, "first_name": "Bob"},
    )
    text = ConsentText.objects.create(form_key="signup", version="v1", text=WORDING)
    for contact_id in ids.values():
        consent_for(contact_id, text)
    do_subscribe(list(ids.values()), "news", clock.now())
    assert worker.run_until_idle().sent == 2
    for email, contact_id in ids.items():
        delivery = Delivery.objects.get(contact_id=contact_id)
        ProviderEvent.objects.create(
            provider="mailgun",
            event_id=f"open-{contact_id}",
            event_type="opened",
            recipient_hash=email_hash(email),
            message_id=delivery.message_id,
            contact_id=contact_id,
            delivery_id=delivery.id,
            raw={"event": "opened", "recipient": email},
        )
    # A bounce report the provider sent before it could be matched to a contact.
    ProviderEvent.objects.create(
        provider="inbound",
        event_id="dsn-1",
        event_type="bounced",
        recipient_hash=email_hash(ANA),
        description=f"mailbox full: {ANA}",
        raw={"final-recipient": f"rfc822; {ANA}"},
    )
    return ids


def mentions(address: str) -> list[str]:
    """Every row, in every table, whose stored values contain ``address`` (or its hash)."""
    found = []
    for model in apps.get_models():
        for row in model._default_manager.values():
            text = json.dumps(row, default=str, ensure_ascii=False).lower()
            if address in text or (email_hash(address) in text and model is not Suppression):
                found.append(f"{model._meta.label}: {row}")
    return found


# -- export -----------------------------------------------------------------------------------


def test_export_contains_everything_about_the_contact(world: dict[str, int]) -> None:
    data = do_export_contact("  Ana@Example.com ")
    assert json.loads(json.dumps(data)) == data  # plain JSON
    contact = data["contact"]
    assert (contact["email"], contact["first_name"], contact["timezone"]) == (
        ANA,
        "Ana",
        "Europe/Madrid",
    )
    assert contact["attributes"] == {"plan": "pro"} and contact["status"] == "active"
    (consent,) = data["consents"]
    assert (consent["form"], consent["consent_version"], consent["consent_text"]) == (
        "signup",
        "v1",
        WORDING,
    )
    assert (consent["ip"], consent["source"], consent["topics"]) == (
        "203.0.113.7",
        "form",
        ["news"],
    )
    assert consent["submitted_at"].startswith("2025-03-05T13:55")
    assert consent["confirmed_at"].startswith("2025-03-05T14:00")
    assert [s["topic"] for s in data["subscriptions"]] == ["news"]
    (journey,) = data["journeys"]
    assert (journey["campaign"], journey["status"], journey["version"]) == ("welcome", "active", 1)
    assert journey["state"]["steps_run"] == journey["steps_run"] == ["hello"]
    (sent,) = data["deliveries"]
    assert (sent["subject"], sent["status"], sent["to_address"]) == ("Hello Ana", "sent", ANA)
    assert sent["sent_at"].startswith("2025-03-05T14:00") and sent["message_id"]
    events = {e["event_id"]: e for e in data["provider_events"]}
    assert set(events) == {f"open-{world[ANA]}", "dsn-1"}
    assert events[f"open-{world[ANA]}"]["raw"] == {"event": "opened", "recipient": ANA}
    assert data["suppression"] is None and data["other"] == {}
    assert BOB not in json.dumps(data)

    with pytest.raises(ActionError, match="no such contact"):
        do_export_contact("nobody@example.com")


def test_export_from_the_api_and_the_command_line(world: dict[str, int], client: Client) -> None:
    expected = do_export_contact(ANA)
    expected.pop("exported_at")

    response = client.get(f"/api/v1/contacts/{ANA}/export", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body.pop("exported_at") and body == expected
    assert client.get(f"/api/v1/contacts/{ANA}/export").status_code == 401
    assert client.get("/api/v1/contacts/nobody@example.com/export", headers=AUTH).status_code == 404
    assert client.get("/api/v1/contacts/not-an-address/export", headers=AUTH).status_code == 400

    result = CliRunner().invoke(main, ["contacts", "export-data", ANA])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed.pop("exported_at") and printed == expected
    result = CliRunner().invoke(main, ["contacts", "export-data", "nobody@example.com"])
    assert result.exit_code == 1 and "no such contact" in result.output


# -- erase ------------------------------------------------------------------------------------


def assert_erased(ids: dict[str, int]) -> None:
    ana = ids[ANA]
    assert not Contact.objects.filter(email=ANA).exists()
    for model in (Delivery, Enrollment, Consent, Subscription, ProviderEvent):
        assert not model.objects.filter(contact_id=ana).exists(), model
    assert not ProviderEvent.objects.filter(recipient_hash=email_hash(ANA)).exists()
    assert mentions(ANA) == []
    suppression = Suppression.objects.get(email_hash=email_hash(ANA))
    assert suppression.reason == "erased" and ANA not in suppression.detail
    # Bob and the shared wording of the consent are untouched.
    assert Contact.objects.filter(email=BOB).exists()
    assert Delivery.objects.filter(contact_id=ids[BOB], status=DeliveryStatus.SENT).count() == 1
    assert Enrollment.objects.filter(contact_id=ids[BOB]).count() == 1
    assert ProviderEvent.objects.filter(contact_id=ids[BOB]).count() == 1
    assert Consent.objects.filter(contact_id=ids[BOB], consent_text__text=WORDING).exists()


def test_erase_leaves_only_the_suppressed_hash(world: dict[str, int]) -> None:
    do_erase_contact("ANA@example.com")
    assert_erased(world)
    with pytest.raises(ActionError, match="no such contact"):
        do_erase_contact(ANA)


def test_erase_from_the_api(world: dict[str, int], client: Client) -> None:
    assert client.delete(f"/api/v1/contacts/{ANA}").status_code == 401
    # reading still works
    assert client.get(f"/api/v1/contacts/{ANA}", headers=AUTH).status_code == 200
    response = client.delete(f"/api/v1/contacts/{ANA}", headers=AUTH)
    assert (response.status_code, response.json()) == (
        200,
        {"erased": True, "suppression": "erased"},
    )
    assert_erased(world)
    assert client.get(f"/api/v1/contacts/{ANA}", headers=AUTH).status_code == 404
    assert client.delete(f"/api/v1/contacts/{ANA}", headers=AUTH).status_code == 404
    assert client.delete("/api/v1/contacts/not-an-address", headers=AUTH).status_code == 400


def test_erase_from_the_command_line_asks_first(world: dict[str, int]) -> None:
    refused = CliRunner().invoke(main, ["contacts", "erase", ANA], input="n\n")
    assert refused.exit_code == 1 and "This cannot be undone" in refused.output
    assert Contact.objects.filter(email=ANA).exists()
    confirmed = CliRunner().invoke(main, ["contacts", "erase", ANA], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert_erased(world)
    again = CliRunner().invoke(main, ["contacts", "erase", ANA, "--yes", "--json"])
    assert again.exit_code == 1 and json.loads(again.output)["error"] == "no such contact"


def test_erase_yes_json(world: dict[str, int]) -> None:
    result = CliRunner().invoke(main, ["contacts", "erase", ANA, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"erased": True, "suppression": "erased"}
    assert_erased(world)


# -- after the erasure ------------------------------------------------------------------------


def test_reimported_address_gets_nothing_until_a_fresh_confirmed_opt_in(
    world: dict[str, int], worker: Worker, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    do_erase_contact(ANA)
    inbox = Inbox(smtp_sink)
    inbox.new()

    # An import brings the contact back (a new row, active), and subscribing enrols it …
    stream = io.StringIO()
    csv.writer(stream).writerows([["email", "first_name"], [ANA, "Ana"]])
    stream.seek(0)
    assert do_import_csv(stream).created == 1
    ana = Contact.objects.get(email=ANA)
    assert ana.status == "active" and ana.id != world[ANA]
    assert do_subscribe([ana.id], "news", clock.now())["welcome"].enrolled == 1
    # … but the hash stops every marketing message to the address.
    sent, suppressed = worker.totals.sent, worker.totals.suppressed
    worker.run_until_idle()
    assert (worker.totals.sent - sent, worker.totals.suppressed - suppressed) == (0, 1)
    (blocked,) = Delivery.objects.filter(contact=ana)
    assert (blocked.status, blocked.last_error) == (
        DeliveryStatus.SUPPRESSED,
        "address suppressed: erased",
    )
    assert inbox.new() == []
    assert do_export_contact(ANA)["suppression"]["reason"] == "erased"

    # A fresh opt-in, confirmed by the person, lifts it: the journey's next message goes.
    text = ConsentText.objects.get(version="v1")
    consent = consent_for(ana.id, text, confirmed=False)
    assert do_confirm(confirm_token(consent.id), clock.now()).status == "confirmed"
    assert not Suppression.objects.filter(email_hash=email_hash(ANA)).exists()
    clock.advance(timedelta(days=1))
    worker.run_until_idle()
    messages = inbox.new()
    got = sorted((m["to"].addresses[0].addr_spec, str(m["subject"])) for m in messages)
    assert got == [(ANA, "Again"), (BOB, "Again")]


DOCS = Path(__file__).resolve().parents[2] / "docs" / "gdpr.md"


def documented(section: str) -> set[str]:
    """The backquoted names in the docs/gdpr.md table row (or paragraph) about ``section``."""
    text = DOCS.read_text(encoding="utf-8")
    if section == "contact":
        paragraph = text[text.index("`contact` holds") :].split("\n\n")[0]
        return set(re.findall(r"`(\w+)`", paragraph)) - {"contact"}
    (row,) = [line for line in text.splitlines() if line.startswith(f"| `{section}` |")]
    return set(re.findall(r"`(\w+)`", row.split("|")[2]))


def test_the_export_uses_the_documented_names(world: dict[str, int]) -> None:
    Event.objects.create(
        contact_id=world[ANA], name="purchase", properties={"order": "A-1"},
        occurred_at=T0, received_at=T0, idempotency_key="order-A-1",
    )  # fmt: skip
    ScoreEntry.objects.create(contact_id=world[ANA], points=5, reason="purchase", created_at=T0)
    data = do_export_contact(ANA)
    sections = [k for k in data if k not in ("exported_at", "suppression", "other")]
    text = DOCS.read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE)) >= set(data)
    assert set(data["contact"]) == documented("contact")
    for name in sections:
        rows = data[name] if isinstance(data[name], list) else []
        for row in rows:
            assert set(row) == documented(name), name
    assert {row["name"] for row in data["events"]} >= {"purchase"}
    assert [(s["points"], s["reason"]) for s in data["score_changes"]] == [(5, "purchase")]
    for model, (name, names) in SECTIONS.items():  # empty sections too
        assert set(names) == documented(name), model
    assert "__" not in json.dumps(sorted(_keys(data))) and data["other"] == {}


def _keys(
    value: Any, skip: tuple[str, ...] = ("raw", "properties", "state", "attributes")
) -> set[str]:
    """Every key of the export, except inside stored payloads."""
    if isinstance(value, dict):
        found = set(value)
        for key, item in value.items():
            if key not in skip:
                found |= _keys(item)
        return found
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()
