"""Kill a sending worker with SIGKILL at random moments: nothing lost, duplicates bounded."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

from goteo.mailcatcher import MailCatcher
from tests.integration.procs import (
    free_port,
    goteo_json,
    message_ids,
    prepare_backlog,
    start_goteo,
)

MESSAGES = 3000
KILLS = 5
LEASE = "2"  # seconds: a dead worker's claims come back quickly


@pytest.mark.slow
def test_sigkill_loses_nothing_and_duplicates_at_most_one_per_kill(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    port = free_port()
    mailbox = tmp_path / "mailbox"
    catcher = MailCatcher(mailbox, port=port)
    catcher.start()
    env = goteo_env | {"GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    rng = random.Random(20261123)
    try:
        prepare_backlog(env, tmp_path, MESSAGES)
        received_before_kill = []
        for _ in range(KILLS):
            worker = start_goteo(env, "worker", "--lease", LEASE)
            time.sleep(rng.uniform(1.5, 3.0))  # start-up takes about a second
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            received_before_kill.append(sum(message_ids(mailbox).values()))
        time.sleep(float(LEASE) + 0.5)
        totals = goteo_json(env, "worker", "--until-idle", "--lease", LEASE)
    finally:
        catcher.stop()
    counts = message_ids(mailbox)
    duplicates = sum(counts.values()) - len(counts)
    # The kills happened while messages were flowing, not before or after all of them.
    assert 0 < received_before_kill[0] < MESSAGES, received_before_kill
    assert len(counts) == MESSAGES, f"{MESSAGES - len(counts)} messages lost"
    assert duplicates <= KILLS, f"{duplicates} duplicates after {KILLS} kills"
    outbox = goteo_json(env, "outbox", "--limit", str(MESSAGES * 2))
    assert {row["status"] for row in outbox} == {"sent"}
    assert len(outbox) == MESSAGES
    assert totals["failed"] == 0
