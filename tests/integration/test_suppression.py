"""The suppression list: its actions, the statuses that write it, the gate that reads it at send
time, and ``goteo suppress``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from tests.integration.bounce_helpers import campaign, sent_delivery, suppressions
from tests.integration.procs import ONE_SEND_CAMPAIGN, goteo, goteo_json

from goteo.actions.contacts import do_set_status, do_upsert_contact
from goteo.actions.errors import ActionError
from goteo.actions.suppression import (
    address_hash,
    do_suppress,
    do_unsuppress,
    suppression_reason,
)
from goteo.campaigns.delivery_kinds import TRANSACTIONAL
from goteo.contacts.models import Suppression
from goteo.contacts.suppression_keys import email_hash
from goteo.contacts.tokens import unsubscribe_token
from goteo.worker.claims import send_facts
from goteo.worker.gate import Send, Suppress, decide

pytestmark = pytest.mark.django_db


def test_only_the_hash_is_kept_and_an_address_or_its_hash_finds_it() -> None:
    row = do_suppress(" Ana@Example.org ", "manual", "asked by phone")
    assert row.email_hash == email_hash("ana@example.org") == address_hash("ANA@example.org")
    assert "ana" not in f"{row.email_hash}{row.detail}"
    assert suppression_reason(row.email_hash) == suppression_reason("ana@example.org") == "manual"


def test_a_stronger_reason_replaces_a_weaker_one_never_the_reverse() -> None:
    do_suppress("ana@example.org", "unsubscribed")
    do_suppress("ana@example.org", "unsubscribed")  # idempotent
    assert Suppression.objects.count() == 1
    do_suppress("ana@example.org", "hard_bounce", "550 5.1.1")
    do_suppress("ana@example.org", "unsubscribed")
    do_suppress("ana@example.org", "soft_bounces")
    assert suppressions() == {email_hash("ana@example.org"): ("hard_bounce", "550 5.1.1")}
    do_suppress("ana@example.org", "complaint")
    do_suppress("ana@example.org", "erased")
    assert suppression_reason("ana@example.org") == "erased"


def test_an_erased_address_stays_unless_erasure_is_named() -> None:
    do_suppress("gone@example.org", "erased")
    assert do_unsuppress("gone@example.org") == 0
    assert suppression_reason("gone@example.org") == "erased"
    assert do_unsuppress("gone@example.org", reasons=("erased",)) == 1
    do_suppress("ana@example.org", "complaint")
    assert do_unsuppress("ana@example.org", reasons=("unsubscribed",)) == 0
    assert do_unsuppress("ana@example.org") == 1


def test_bad_input_is_refused() -> None:
    with pytest.raises(ActionError, match="invalid reason"):
        do_suppress("ana@example.org", "annoying")
    with pytest.raises(ActionError, match="invalid address"):
        do_suppress("  ", "manual")
    with pytest.raises(ActionError, match="invalid reason"):
        do_unsuppress("ana@example.org", reasons=("nope",))


@pytest.mark.parametrize(
    ("status", "reason"),
    [("unsubscribed", "unsubscribed"), ("bounced", "hard_bounce"), ("complained", "complaint")],
)
def test_every_status_that_stops_mail_writes_the_list(status: str, reason: str) -> None:
    do_upsert_contact({"email": "ana@example.org"})
    do_set_status("ana@example.org", status)
    assert suppression_reason("ana@example.org") == reason
    # Active again lifts only an unsubscribe; a bounce or complaint stays until removed by hand.
    do_set_status("ana@example.org", "active")
    assert suppression_reason("ana@example.org") == (None if status == "unsubscribed" else reason)


def test_the_unsubscribe_page_writes_the_list(client: Client) -> None:
    contact = do_upsert_contact({"email": "ana@example.org"}).contact
    response = client.post(f"/u/{unsubscribe_token(contact.id)}")
    assert response.status_code == 200
    assert suppression_reason("ana@example.org") == "unsubscribed"


def test_the_gate_reads_the_list_at_send_time_for_any_contact() -> None:
    """A listed address is not sent to, even by an active contact; hard reasons stop
    transactional messages too."""
    delivery = sent_delivery("ana@example.org", campaign())
    now = delivery.sent_at
    assert now is not None

    def verdict(kind: str = "marketing") -> object:
        facts = send_facts(delivery.contact_id, delivery.campaign_id, email_hash("ana@example.org"))
        return decide(kind, facts, now)

    assert verdict() == Send()
    do_suppress("ana@example.org", "unsubscribed")
    assert verdict() == Suppress("address suppressed: unsubscribed")
    assert verdict(TRANSACTIONAL) == Send()  # a confirmation still goes to an unsubscriber
    do_suppress("ana@example.org", "manual")
    assert verdict(TRANSACTIONAL) == Suppress("address suppressed: manual")


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow  # runs `goteo suppress` as real processes
def test_goteo_suppress_add_list_remove(goteo_env: dict[str, str], tmp_path: Path) -> None:
    env = goteo_env
    goteo(env, "migrate")
    added = goteo_json(env, "suppress", "add", "Ana@Example.org")
    assert added == {"hash": email_hash("ana@example.org"), "reason": "manual"}
    goteo(env, "suppress", "add", "bob@example.org", "--reason", "complaint", "--detail", "FBL")
    by_hash = goteo_json(env, "suppress", "add", email_hash("zoe@example.org"))
    assert by_hash["hash"] == email_hash("zoe@example.org")

    rows = goteo_json(env, "suppress", "list")
    assert {r["hash"]: r["reason"] for r in rows} == {
        email_hash("ana@example.org"): "manual",
        email_hash("bob@example.org"): "complaint",
        email_hash("zoe@example.org"): "manual",
    }
    assert all("@" not in str(r) for r in rows)
    (bob,) = goteo_json(env, "suppress", "list", "BOB@example.org")
    assert (bob["reason"], bob["detail"]) == ("complaint", "FBL")
    assert goteo_json(env, "suppress", "list", "--reason", "complaint") == [bob]
    human = goteo(env, "suppress", "list").stdout
    assert email_hash("bob@example.org") in human and "complaint" in human
    assert goteo(env, "suppress", "list", "nobody@example.org").stdout.strip() == (
        "not on the suppression list"
    )

    assert goteo_json(env, "suppress", "remove", "bob@example.org") == {"removed": 1}
    assert goteo_json(env, "suppress", "remove", "bob@example.org") == {"removed": 0}
    assert goteo_json(env, "suppress", "list", "bob@example.org") == []

    refused = goteo(env, "suppress", "add", "ana@example.org", "--reason", "erased", check=False)
    assert refused.returncode == 2 and "erased" in refused.stderr

    # A suppressed address is never sent to, whichever channel or campaign.
    (tmp_path / "blast.yaml").write_text(ONE_SEND_CAMPAIGN, encoding="utf-8")
    goteo(env, "campaign", "apply", str(tmp_path / "blast.yaml"))
    goteo(env, "contacts", "add", "ana@example.org", "--subscribe", "news")
    goteo(env, "worker", "--until-idle")
    (delivery,) = goteo_json(env, "outbox")
    assert delivery["status"] == "suppressed"
