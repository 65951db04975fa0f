"""Kill a sending worker with SIGKILL at random moments: nothing lost, duplicates bounded."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from tests.integration.procs import (
    free_port,
    goteo_json,
    message_ids,
    prepare_backlog,
    start_goteo,
)

from goteo.mailcatcher import MailCatcher

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
    finally:
        catcher.stop()
    counts = message_ids(mailbox)
    duplicates = sum(counts.values()) - len(counts)
    print(f"received after each kill: {received_before_kill}; duplicates: {duplicates}")
    # The mid-send kills happened while messages were flowing, not after all of them.
    assert received_before_kill[1] > 0 and received_before_kill[-1] < MESSAGES, received_before_kill
    assert len(counts) == MESSAGES, f"{MESSAGES - len(counts)} messages lost"
    assert duplicates <= KILLS, f"{duplicates} duplicates after {KILLS} kills"
    outbox = goteo_json(env, "outbox", "--limit", str(MESSAGES * 2))
    assert {row["status"] for row in outbox} == {"sent"}
    assert len(outbox) == MESSAGES
    assert totals["failed"] == 0
