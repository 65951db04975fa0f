"""Kill a sending worker with SIGKILL at random moments: nothing lost, duplicates bounded."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.print_api_server import KEY, PrintApi
from tests.integration.procs import (
    free_port,
    goteo,
    goteo_json,
    message_ids,
    prepare_backlog,
    start_goteo,
)
from tests.integration.twilio_server import TwilioServer
from tests.integration.webhook_receiver import WebhookReceiver

from goteo.mailcatcher import MailCatcher

MESSAGES = 3000
KILLS = 5
LEASE = "2"  # seconds: a dead worker's claims come back quickly


@pytest.fixture
def emailing(tmp_path: Path, goteo_env: dict[str, str]) -> Iterator[tuple[Path, dict[str, str]]]:
    """A mail catcher on loopback: its mailbox, and the environment that sends to it."""
    port = free_port()
    mailbox = tmp_path / "mailbox"
    catcher = MailCatcher(mailbox, port=port)
    catcher.start()
    yield mailbox, goteo_env | {"GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    catcher.stop()


@pytest.mark.slow
@pytest.mark.parametrize("connections", [1, 4])
def test_sigkill_loses_nothing_and_duplicates_at_most_one_per_connection_and_kill(
    tmp_path: Path, emailing: tuple[Path, dict[str, str]], connections: int
) -> None:
    mailbox, env = emailing
    env = env | {"GOTEO_EMAIL_CONNECTIONS": str(connections)}
    rng = random.Random(20261123)
    prepare_backlog(env, tmp_path, MESSAGES)
    received_before_kill = [0]
    for round_ in range(KILLS):
        worker = start_goteo(env, "worker", "--lease", LEASE)
        if round_ % 2 == 0:
            # Mid-send: wait until this worker's messages are arriving, then kill.
            deadline = time.monotonic() + 60
            while (
                sum(message_ids(mailbox).values()) <= received_before_kill[-1]
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            # Anywhere: during start-up, claiming, the engine's transaction or sending.
            time.sleep(rng.uniform(0.2, 3.0))
        worker.send_signal(signal.SIGKILL)
        worker.communicate()  # reap it and close its pipes
        received_before_kill.append(sum(message_ids(mailbox).values()))
    time.sleep(float(LEASE) + 0.5)
    totals = goteo_json(env, "worker", "--until-idle", "--lease", LEASE)
    counts = message_ids(mailbox)
    duplicates = sum(counts.values()) - len(counts)
    print(f"received after each kill: {received_before_kill}; duplicates: {duplicates}")
    # The mid-send kills happened while messages were flowing, not after all of them.
    assert received_before_kill[1] > 0 and received_before_kill[-1] < MESSAGES, received_before_kill
    assert len(counts) == MESSAGES, f"{MESSAGES - len(counts)} messages lost"
    # At most one accepted-but-unrecorded message per connection when a worker dies.
    assert duplicates <= connections * KILLS, f"{duplicates} duplicates after {KILLS} kills"
    outbox = goteo_json(env, "outbox", "--limit", str(MESSAGES * 2))
    assert {row["status"] for row in outbox} == {"sent"}
    assert len(outbox) == MESSAGES
    assert totals["failed"] == 0


POOLED = (2, 3, 2)  # three workers, as on three machines, and their SMTP connections
POOLED_MESSAGES = 2000
POOLED_KILLS = 4


@pytest.mark.postgres
@pytest.mark.slow
def test_sigkill_among_several_pooled_workers_loses_nothing(
    tmp_path: Path, emailing: tuple[Path, dict[str, str]]
) -> None:
    """Three workers share the backlog; one at a time, a random one is killed with SIGKILL
    while messages flow, and started again. A killed worker's claims come back to the others
    when their lease runs out. Nothing is lost, and each kill duplicates at most one message
    per connection of the worker killed (its accepted-but-unrecorded ones)."""
    mailbox, env = emailing
    rng = random.Random(20261204)
    prepare_backlog(env, tmp_path, POOLED_MESSAGES)

    def start(index: int) -> subprocess.Popen[str]:
        own = env | {"GOTEO_EMAIL_CONNECTIONS": str(POOLED[index])}
        return start_goteo(own, "worker", "--lease", LEASE)

    workers = [start(i) for i in range(len(POOLED))]
    received = [0]
    killed_connections = 0
    try:
        for _ in range(POOLED_KILLS):
            deadline = time.monotonic() + 60
            while sum(message_ids(mailbox).values()) <= received[-1] + 50:
                assert time.monotonic() < deadline, "messages stopped flowing"
                time.sleep(0.1)  # each look reads the whole mailbox
            time.sleep(rng.uniform(0.0, 0.2))
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].communicate()
            killed_connections += POOLED[victim]
            received.append(sum(message_ids(mailbox).values()))
            workers[victim] = start(victim)
        deadline = time.monotonic() + 180
        while len(message_ids(mailbox)) < POOLED_MESSAGES and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.communicate(timeout=60)
    totals = goteo_json(env, "worker", "--until-idle", "--lease", LEASE)
    counts = message_ids(mailbox)
    duplicates = sum(counts.values()) - len(counts)
    print(f"received after each kill: {received}; duplicates: {duplicates}")
    assert received[-1] < POOLED_MESSAGES, received  # every kill came while messages flowed
    assert len(counts) == POOLED_MESSAGES, f"{POOLED_MESSAGES - len(counts)} messages lost"
    assert duplicates <= killed_connections, (
        f"{duplicates} duplicates for {killed_connections} connections killed"
    )
    outbox = goteo_json(env, "outbox", "--limit", str(POOLED_MESSAGES * 2))
    assert len(outbox) == POOLED_MESSAGES and {row["status"] for row in outbox} == {"sent"}
    assert totals["failed"] == 0


CONTACTS = 40  # each owed an email, a postcard, an SMS and a webhook call
CHANNEL_KILLS = 3
MULTICHANNEL = """
key: multi
trigger: {subscribed: news}
steps:
  - {id: hello, send: email, template: hello}
  - {id: card, send: mail, template: card}
  - {id: text, send: sms, template: text}
  - {id: crm, webhook: {url: "%(hook)s"}}
templates:
  hello:
    en: {subject: "Hello {{ contact.first_name }}", html: "<p>Hi</p>"}
  card:
    en: {subject: "Autumn", html: "<p>Hi {{ contact.first_name }}!</p>", format: postcard-4x6,
         landing: "https://shop.example.com/autumn"}
  text:
    en: {text: "Hi {{ contact.first_name }}, autumn offers inside"}
"""
# SMS consent is given by the person (a form, the API); here the test grants it directly.
GRANT_SMS = """
import django; django.setup()
from django.utils import timezone
from goteo.actions.sms_consent import grant_sms_consent
from goteo.contacts.models import Contact
for contact in Contact.objects.all():
    grant_sms_consent(contact, "api", "Texts about our offers", timezone.now())
"""
LEDGER = """
import django, json; django.setup()
from django.db.models import Count
from goteo.campaigns.models import Exposure
rows = Exposure.objects.values("channel").annotate(n=Count("id"), keys=Count("dedupe_key"))
print(json.dumps({r["channel"]: r["n"] for r in rows}))
"""


def _python(env: dict[str, str], code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _multichannel_backlog(env: dict[str, str], tmp: Path, hook: str) -> None:
    goteo(env, "migrate")
    campaign = tmp / "multi.yaml"
    campaign.write_text(MULTICHANNEL % {"hook": hook}, encoding="utf-8")
    goteo(env, "campaign", "apply", str(campaign))
    lines = ["email,first_name,locale,phone,address_name,address_line1,address_city,"
             "address_postal_code,address_country"]  # fmt: skip
    lines += [
        f"c{i}@example.com,Ana{i},en,+346123450{i:02d},Ana Nowak,ul. Długa {i + 1},Kraków,31-147,PL"
        for i in range(CONTACTS)
    ]
    contacts = tmp / "contacts.csv"
    contacts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = goteo_json(env, "contacts", "import", str(contacts), "--subscribe", "news")
    assert result["enrolled"] == {"multi": CONTACTS}, result
    _python(env, GRANT_SMS)


@pytest.mark.slow
def test_sigkill_mid_multichannel_run_loses_nothing_on_any_channel(
    tmp_path: Path, emailing: tuple[Path, dict[str, str]]
) -> None:
    mailbox, email_env = emailing
    twilio, api, hook = TwilioServer(), PrintApi(), WebhookReceiver()
    sender = {"name": "Goteo", "lines": ["Calle Mayor 1"], "city": "Madrid",
              "postal_code": "28013", "region": "Madrid", "country": "ES"}  # fmt: skip
    env = email_env | {
        "GOTEO_SMS_URL": twilio.sms_url(),
        "GOTEO_MAIL_URL": f"lob+http://{KEY}@127.0.0.1:{api.loopback.server.server_address[1]}",
        "GOTEO_MAIL_SENDER": json.dumps(sender),
    }
    rng = random.Random(20261203)
    reached = [0]

    def arrived() -> int:
        return sum(message_ids(mailbox).values()) + len(api.requests) + len(twilio.accepted)

    try:
        _multichannel_backlog(env, tmp_path, hook.url)
        for round_ in range(CHANNEL_KILLS):
            worker = start_goteo(env, "worker", "--lease", LEASE)
            if round_ < CHANNEL_KILLS - 1:  # mid-send: once this worker's messages flow
                deadline = time.monotonic() + 60
                while arrived() <= reached[-1] and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.3, 1.5))
            else:  # anywhere: start-up, claiming, the engine's transaction or sending
                time.sleep(rng.uniform(0.3, 3.0))
            worker.send_signal(signal.SIGKILL)
            worker.communicate()
            reached.append(arrived())
        time.sleep(float(LEASE) + 0.5)
        totals = goteo_json(env, "worker", "--until-idle", "--lease", LEASE)
        ledger = json.loads(_python(env, LEDGER))
        outbox = goteo_json(env, "outbox", "--limit", str(CONTACTS * 8))
    finally:
        twilio.stop()
        api.close()
        hook.stop()
    print(f"arrived after each kill: {reached}; ledger: {ledger}")
    assert 0 < reached[1] < reached[2] < CONTACTS * 4, reached  # the kills came mid-run
    failed = [(r["channel"], r.get("last_error")) for r in outbox if r["status"] != "sent"]
    assert totals["failed"] == 0, failed[:3]
    assert len(outbox) == CONTACTS * 4 and {r["status"] for r in outbox} == {"sent"}
    by_channel = Counter(r["channel"] for r in outbox)
    assert by_channel == dict.fromkeys(("email", "mail", "sms", "webhook"), CONTACTS)
    # Email and SMS take no idempotency key: at most one duplicate per message in flight.
    emails = message_ids(mailbox)
    assert len(emails) == CONTACTS, f"{CONTACTS - len(emails)} emails lost"
    assert sum(emails.values()) - len(emails) <= CHANNEL_KILLS
    texts = Counter(form["StatusCallback"] for form in twilio.accepted)
    assert len(texts) == CONTACTS, f"{CONTACTS - len(texts)} texts lost"
    assert sum(texts.values()) - len(texts) <= CHANNEL_KILLS
    # The print API and the webhook take one: one postcard each, one call each (by its key).
    assert len(api.created) == CONTACTS, f"{len(api.created)} postcards for {CONTACTS}"
    calls = Counter(c.headers["Idempotency-Key"] for c in hook.calls if c.answered == 200)
    assert len(calls) == CONTACTS, f"{CONTACTS - len(calls)} webhook calls lost"
    # The ledger counts each email and postcard once; an SMS counts when Twilio reports it
    # delivered, and no report comes back here.
    assert ledger == {"email": CONTACTS, "mail": CONTACTS}
