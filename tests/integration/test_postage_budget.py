"""A campaign's postage budget through the real worker, to the print house and to the print
API on loopback: the mailer past the budget is held and the campaign paused with the reason;
raising the budget and resuming sends it; two workers never overspend; a mailer handed over
by a worker that died is counted once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import Client
from django.utils import timezone
from tests.conftest import on_postgres
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import T0, add_contacts, apply, write_pending_deliveries
from tests.integration.print_api_server import KEY, PrintApi
from tests.integration.test_openapi import problems, response_schema

from goteo.accounts.models import AuditEntry
from goteo.actions.api_keys import do_create_api_key
from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Campaign, Delivery, DeliveryStatus
from goteo.campaigns.postage_spend import campaign_spend
from goteo.campaigns.reports import campaign_report
from goteo.channels.base import Channel, Draft, Prepared, Result
from goteo.channels.configured import build_channels
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.factory import email_channel
from goteo.channels.registry import Channels
from goteo.cli import main
from goteo.config import email_settings
from goteo.engine.clock import ManualClock
from goteo.worker.claims import claim_deliveries, send_facts
from goteo.worker.delivering import send_claimed
from goteo.worker.gate import Facts
from goteo.worker.loop import Worker
from goteo.worker.sender_thread import FactsQuery, SenderThread

pytestmark = pytest.mark.django_db(transaction=True)

PRICES = {"currency": "EUR", "postcard-4x6": {"PL": "1.80", "*": "2.50"}}
CARD = {"en": {"subject": "Autumn", "html": "<p>Hi {{ contact.first_name }}</p>",
               "format": "postcard-4x6", "landing": "https://shop.example.com/autumn"}}  # fmt: skip
STEPS = [{"id": "card", "send": "mail", "template": "card"}]
SENDER = {"name": "Goteo", "lines": ["Calle Mayor 1"], "city": "Madrid",
          "postal_code": "28013", "region": "Madrid", "country": "ES"}  # fmt: skip


def person(n: int) -> dict[str, Any]:
    address = {"name": f"Ana Nowak {n}", "lines": [f"ul. Długa {n + 1}"], "city": "Kraków",
               "postal_code": "31-147", "country": "PL"}  # fmt: skip
    return {"email": f"ana{n}@example.com", "first_name": f"Ana{n}", "postal_address": address}


class Provider:
    """The print provider under test: the print-house folder, or the print API on loopback."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder = kind, folder
        self.api = PrintApi() if kind == "api" else None

    def url(self) -> str:
        if self.api is None:
            return f"folder:{self.folder}"
        return f"lob+http://{KEY}@127.0.0.1:{self.api.loopback.server.server_address[1]}"

    def printed(self) -> int:
        """How many mailers the provider holds (one per delivery, however often sent)."""
        if self.api is None:
            return len(list((self.folder / "spool").glob("*.pdf")))
        return len(self.api.created)


@pytest.fixture(params=["folder", "api"])
def provider(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> Iterator[Provider]:
    made = Provider(request.param, tmp_path)
    settings.GOTEO_MAIL_URL = made.url()
    settings.GOTEO_MAIL_SENDER = json.dumps(SENDER)
    settings.GOTEO_MAIL_PRICES = json.dumps(PRICES)
    yield made
    if made.api is not None:
        made.api.close()


def journey(contacts: int, budget: str) -> list[int]:
    apply("autumn", STEPS, {"card": CARD}, postage={"budget": budget, "currency": "EUR"})
    ids = add_contacts(*(person(n) for n in range(contacts)))
    do_enroll("autumn", ids.values(), T0)
    return list(ids.values())


def channels() -> Channels:
    transport = email_channel(email_settings("smtp://127.0.0.1:9?timeout=1"))  # no email here
    return build_channels(transport, Composer(sender_from_settings()))


def run(worker: Worker) -> None:
    worker.run_until_idle()  # and closes it


def worker(**options: Any) -> Worker:
    return Worker(clock=ManualClock(T0), channels=options.pop("channels", None) or channels(),
                  **options)  # fmt: skip


def statuses() -> list[str]:
    return list(Delivery.objects.order_by("id").values_list("status", flat=True))


def campaign() -> Campaign:
    return Campaign.objects.get(key="autumn")


def test_the_mailer_past_the_budget_is_held_and_the_campaign_paused_until_raised(
    provider: Provider,
) -> None:
    journey(4, "5.00")  # 1.80 each: two fit, the third would make 5.40
    run(worker())
    assert statuses() == ["sent", "sent", "pending", "pending"]
    paused = campaign()
    assert (paused.status, paused.status_reason) == (
        "paused",
        "postage budget spent: 3.60 of 5.00 EUR",
    )
    entry = AuditEntry.objects.get(action="campaign.pause")
    assert (entry.actor, entry.after) == (
        "worker",
        {"status": "paused", "reason": "postage budget spent: 3.60 of 5.00 EUR"},
    )
    held = Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("id").first()
    assert held is not None and held.postage is None and held.attempts == 0  # not an attempt
    assert held.last_error == "held: postage budget spent: 3.60 of 5.00 EUR"
    spend = campaign_spend(paused.id)
    assert (spend.sent, spend.sent_count, spend.in_flight) == (Decimal("3.60"), 2, Decimal(0))
    assert provider.printed() == 2

    # Resumed with the same budget: the next mailer pauses it again, nothing more is printed.
    do_set_campaign_status("autumn", "active")
    run(worker())
    assert statuses() == ["sent", "sent", "pending", "pending"] and campaign().status == "paused"

    # A new version with a higher budget, then resumed: the held mailers go out.
    apply("autumn", STEPS, {"card": CARD}, postage={"budget": "10.00", "currency": "EUR"})
    do_set_campaign_status("autumn", "active")
    run(worker())
    assert statuses() == ["sent"] * 4 and campaign().status == "active"
    assert campaign_spend(paused.id).sent == Decimal("7.20")
    assert provider.printed() == 4


def test_a_mailer_with_no_price_is_held_and_the_campaign_paused_with_why(
    provider: Provider, settings: Any
) -> None:
    journey(1, "5.00")
    settings.GOTEO_MAIL_PRICES = json.dumps({"currency": "EUR", "postcard-4x6": {"ES": "1"}})
    run(worker())
    assert statuses() == ["pending"] and provider.printed() == 0
    assert campaign().status_reason == (
        "postage budget: no price for postcard-4x6 mailers to PL (GOTEO_MAIL_PRICES)"
    )


class Slow:
    """A channel whose first hand-over waits, on the wire, until told to go on."""

    def __init__(self, inner: Channel) -> None:
        self.inner, self.name, self.capabilities = inner, inner.name, inner.capabilities
        self.on_wire, self.go_on = threading.Event(), threading.Event()

    def prepare(self, draft: Draft) -> Prepared:
        return self.inner.prepare(draft)

    def deliver(self, message: Prepared) -> Result:
        if not self.on_wire.is_set():
            self.on_wire.set()
            assert self.go_on.wait(30)
        return self.inner.deliver(message)

    def close(self) -> None:
        self.inner.close()


def in_thread(target: Worker, errors: list[BaseException]) -> threading.Thread:
    def go() -> None:
        try:
            run(target)
        except BaseException as exc:  # re-raised by the test
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=go)
    thread.start()
    return thread


def test_a_second_worker_counts_the_first_one_s_mailer_on_the_wire(provider: Provider) -> None:
    """A's first mailer is on the wire (marked in flight, not yet recorded) while B checks its
    own: B counts it, so the two of them send two mailers, not three."""
    journey(4, "5.00")
    real = channels()
    slow = Slow(real["mail"])
    a = worker(channels=Channels(*(slow if c.name == "mail" else c for c in real)), send_batch=2)
    errors: list[BaseException] = []
    thread = in_thread(a, errors)
    assert slow.on_wire.wait(30)
    run(worker(send_batch=2))  # B: the two rows A did not claim
    slow.go_on.set()
    thread.join(60)
    assert not errors and not thread.is_alive()
    assert statuses().count("sent") == 2 and campaign().status == "paused"
    assert campaign_spend(campaign().id).sent == Decimal("3.60")
    assert provider.printed() == 2


@pytest.mark.postgres
def test_two_workers_sending_at_once_never_overspend(provider: Provider) -> None:
    """Two workers, each with its own connection, claiming three mailers at a time from the
    same campaign: their checks take turns on the campaign's row (SQLite's one write lock
    does the same between processes; its in-memory test database cannot be shared by
    threads)."""
    assert on_postgres()
    journey(12, "9.00")  # five mailers fit exactly
    errors: list[BaseException] = []
    threads = [in_thread(worker(send_batch=3), errors) for _ in range(2)]
    for thread in threads:
        thread.join(120)
    assert not errors
    assert statuses().count("sent") == 5 and campaign().status == "paused"
    assert campaign().status_reason == "postage budget spent: 9.00 of 9.00 EUR"
    assert campaign_spend(campaign().id).sent == Decimal("9.00")
    assert provider.printed() == 5


@pytest.mark.postgres
def test_a_second_check_waits_for_the_first_on_the_campaign_s_row(provider: Provider) -> None:
    """A reads the budget and spend, then dawdles before marking its mailer in flight; B
    checks meanwhile. B must wait for A's mark on the campaign's row: read at once, it would
    find nothing spent and print a second mailer past a budget for one."""
    assert on_postgres()
    journey(2, "1.80")
    assert write_pending_deliveries(T0) == 2
    first, second = Delivery.objects.order_by("id").values_list("id", flat=True)
    assert claim_deliveries("a", T0, 1, 60) == [first]
    assert claim_deliveries("b", T0, 1, 60) == [second]
    a_read = threading.Event()

    def dawdling(*args: Any, **kwargs: Any) -> Facts:
        facts = send_facts(*args, **kwargs)
        a_read.set()
        time.sleep(0.5)  # inside A's transaction, before its mark
        return facts

    def send(owner: str, ids: list[int], facts_of: FactsQuery) -> None:
        sender, mail = SenderThread(facts_of), channels()
        try:
            send_claimed(ids, owner, T0, sender, mail)
        finally:
            sender.stop()
            mail.close()

    errors: list[BaseException] = []

    def a() -> None:
        try:
            send("a", [first], dawdling)
        except BaseException as exc:  # re-raised by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=a)
    thread.start()
    assert a_read.wait(30)
    send("b", [second], send_facts)
    thread.join(30)
    assert not errors
    assert statuses() == ["sent", "pending"] and provider.printed() == 1
    assert campaign().status_reason == "postage budget spent: 1.80 of 1.80 EUR"


class Crash(BaseException):
    """The worker dies right after the provider accepted the mailer."""


class CrashAfterDeliver(Slow):
    def deliver(self, message: Prepared) -> Result:
        self.inner.deliver(message)
        raise Crash


def test_a_mailer_handed_over_before_a_crash_is_counted_once(provider: Provider) -> None:
    journey(3, "3.60")
    real = channels()
    crashing = Channels(*(CrashAfterDeliver(c) if c.name == "mail" else c for c in real))
    first = worker(channels=crashing, lease_seconds=0.3, send_batch=1)
    with pytest.raises(RuntimeError, match="sender thread failed"):
        first.run_once()
    first.close()
    crashed = Delivery.objects.get(status=DeliveryStatus.PENDING, attempts=1)
    assert crashed.postage == Decimal("1.80")  # it may have been printed: the budget counts it
    assert campaign_spend(campaign().id).in_flight == Decimal("1.80")
    time.sleep(0.4)  # the dead worker's lease runs out
    run(worker())
    crashed.refresh_from_db()
    assert crashed.status == DeliveryStatus.SENT and crashed.postage == Decimal("1.80")
    assert statuses().count("sent") == 2 and campaign().status == "paused"
    spend = campaign_spend(campaign().id)
    assert (spend.sent, spend.sent_count, spend.in_flight) == (Decimal("3.60"), 2, Decimal(0))
    assert provider.printed() == 2  # the crashed one was handed over twice, printed once


def test_spent_budget_and_remaining_in_the_cli_the_api_and_the_console(settings: Any) -> None:
    settings.GOTEO_MAIL_URL = f"folder:{settings.DATA_DIR}/print"
    settings.GOTEO_MAIL_PRICES = json.dumps(PRICES)
    journey(4, "5.00")
    run(worker())
    expected = {
        "budget": "5.00", "currency": "EUR", "spent": "3.60", "mailers": 2,
        "in_flight": "0.00", "in_flight_mailers": 0, "remaining": "1.40",
    }  # fmt: skip
    assert campaign_report("autumn")["postage"] == expected

    printed = CliRunner().invoke(main, ["report", "autumn"])
    assert printed.exit_code == 0, printed.output
    assert "postage: 3.60 of 5.00 EUR spent (2 mailers), 1.40 remaining" in printed.output
    assert "\npaused: postage budget spent: 3.60 of 5.00 EUR\n" in printed.output
    listed = CliRunner().invoke(main, ["campaign", "list", "--json"])
    assert json.loads(listed.output)[0]["status_reason"] == "postage budget spent: 3.60 of 5.00 EUR"

    key = do_create_api_key("r", ["reports:read"], timezone.now()).key
    client = Client()
    body = client.get(
        "/api/v1/reports/campaigns/autumn", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert body["postage"] == expected
    document = client.get("/api/v1/openapi.json").json()
    schema = response_schema(document["paths"]["/api/v1/reports/campaigns/{key}"]["get"], 200)
    assert schema is not None and problems(schema, body, document) == []

    page = signed_in("viewer").get("/app/campaigns/autumn").content.decode()
    assert 'id="campaign-reason">postage budget spent: 3.60 of 5.00 EUR<' in page
    spent = page.split('id="postage-spent">')[1].split("</dd>")[0]
    assert spent.startswith("3.60 of 5.00 EUR") and "(2 mailers)" in spent
    assert 'id="postage-remaining">1.40 EUR</dd>' in page


def test_without_a_budget_the_report_shows_what_the_mailers_cost(settings: Any) -> None:
    settings.GOTEO_MAIL_URL = f"folder:{settings.DATA_DIR}/print"
    settings.GOTEO_MAIL_PRICES = json.dumps(PRICES)
    apply("autumn", STEPS, {"card": CARD})
    do_enroll("autumn", add_contacts(person(0)).values(), T0)
    run(worker())
    assert campaign_report("autumn")["postage"] == {
        "budget": None, "currency": "EUR", "spent": "1.80", "mailers": 1,
        "in_flight": "0.00", "in_flight_mailers": 0, "remaining": None,
    }  # fmt: skip
    printed = CliRunner().invoke(main, ["report", "autumn"]).output
    assert "postage: 1.80 EUR spent (1 mailers)" in printed
