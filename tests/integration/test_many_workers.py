"""Several workers on PostgreSQL over one backlog, as on several machines (each a process with
its own SMTP connections): every step runs once, no message goes twice, and the frequency cap
holds across them."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from tests.integration.procs import (
    ONE_SEND_CAMPAIGN,
    free_port,
    goteo,
    goteo_json,
    message_ids,
    prepare_backlog,
    start_workers,
    stop_workers,
    wait_for_messages,
    write_contacts,
)

from goteo.mailcatcher import MailCatcher, caught

MESSAGES = 2000

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.parametrize(
    "connections", [(1, 1), (2, 3, 2)], ids=["two-workers", "three-workers-pooled"]
)
def test_workers_never_run_a_step_twice(
    tmp_path: Path, goteo_env: dict[str, str], connections: tuple[int, ...]
) -> None:
    port = free_port()
    mailbox = tmp_path / "mailbox"
    catcher = MailCatcher(mailbox, port=port)
    catcher.start()
    env = goteo_env | {"GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    try:
        prepare_backlog(env, tmp_path, MESSAGES)
        workers = start_workers(env, connections, "--batch", "100")
        wait_for_messages(mailbox, MESSAGES, 240)
        totals = stop_workers(workers)
    finally:
        catcher.stop()
    counts = message_ids(mailbox)
    assert len(counts) == MESSAGES
    assert max(counts.values()) == 1, "a message was sent twice"
    assert sum(t["sent"] for t in totals) == MESSAGES
    assert sum(t["deliveries_written"] for t in totals) == MESSAGES
    assert all(t["steps_claimed"] > 0 for t in totals), f"a worker did nothing: {totals}"
    assert all(t["sent"] > 0 for t in totals), f"a worker sent nothing: {totals}"
    outbox = goteo_json(env, "outbox", "--limit", str(MESSAGES * 2))
    assert len(outbox) == MESSAGES


CAPPED = 300  # contacts, each owed a message by three campaigns at once
CAMPAIGNS = ("spring", "summer", "autumn")


def test_the_frequency_cap_holds_across_workers(tmp_path: Path, goteo_env: dict[str, str]) -> None:
    """Three campaigns owe each contact a message at the same moment, under a cap of one a
    week; three workers (two, three and two connections) share the backlog. Each check locks
    its contact and counts the messages another worker has in flight (docs/pacing.md), so each
    contact receives exactly one message, whichever worker sends it."""
    port = free_port()
    mailbox = tmp_path / "mailbox"
    catcher = MailCatcher(mailbox, port=port)
    catcher.start()
    env = goteo_env | {"GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{port}", "GOTEO_FREQUENCY_CAP": "1/7d"}
    try:
        goteo(env, "migrate")
        for key in CAMPAIGNS:
            path = tmp_path / f"{key}.yaml"
            path.write_text(
                ONE_SEND_CAMPAIGN.replace("key: blast", f"key: {key}"), encoding="utf-8"
            )
            goteo(env, "campaign", "apply", str(path))
        contacts = tmp_path / "contacts.csv"
        write_contacts(contacts, CAPPED)
        result = goteo_json(env, "contacts", "import", str(contacts), "--subscribe", "news")
        assert result["enrolled"] == dict.fromkeys(CAMPAIGNS, CAPPED), result
        workers = start_workers(env, (2, 3, 2), "--batch", "20")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            outbox = goteo_json(env, "outbox", "--limit", str(CAPPED * 4))
            settled = [
                r
                for r in outbox
                if r["status"] == "sent" or "frequency cap" in (r["last_error"] or "")
            ]
            if len(settled) == len(CAMPAIGNS) * CAPPED:
                break
            time.sleep(0.5)
        time.sleep(1)  # a message over the cap would arrive by now
        totals = stop_workers(workers)
    finally:
        catcher.stop()
    recipients = Counter(str(message["To"]) for _, message in caught(mailbox, limit=10**6))
    assert len(recipients) == CAPPED, f"{CAPPED - len(recipients)} contacts received nothing"
    assert max(recipients.values()) == 1, f"over the cap: {recipients.most_common(3)}"
    assert Counter(r["status"] for r in outbox) == {"sent": CAPPED, "pending": 2 * CAPPED}
    assert sum(t["sent"] for t in totals) == CAPPED
    assert sum(t["postponed"] for t in totals) == 2 * CAPPED
    assert sum(t["sent"] > 0 for t in totals) >= 2, f"one worker sent everything: {totals}"
