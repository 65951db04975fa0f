"""Two workers on PostgreSQL over one backlog: every step runs once, no message twice."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from tests.integration.procs import free_port, goteo_json, message_ids, prepare_backlog, start_goteo

from goteo.mailcatcher import MailCatcher

MESSAGES = 2000


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_never_run_a_step_twice(tmp_path: Path, goteo_env: dict[str, str]) -> None:
    port = free_port()
    mailbox = tmp_path / "mailbox"
    catcher = MailCatcher(mailbox, port=port)
    catcher.start()
    env = goteo_env | {"GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    try:
        prepare_backlog(env, tmp_path, MESSAGES)
        workers = [start_goteo(env, "worker", "--json", "--batch", "100") for _ in range(2)]
        deadline = time.monotonic() + 240
        while sum(message_ids(mailbox).values()) < MESSAGES and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(1)  # anything sent twice would arrive by now
        totals = []
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err
            totals.append(json.loads(out))
    finally:
        catcher.stop()
    counts = message_ids(mailbox)
    assert len(counts) == MESSAGES
    assert max(counts.values()) == 1, "a message was sent twice"
    assert sum(t["sent"] for t in totals) == MESSAGES
    assert sum(t["deliveries_written"] for t in totals) == MESSAGES
    assert all(t["steps_claimed"] > 0 for t in totals), f"one worker did nothing: {totals}"
    outbox = goteo_json(env, "outbox", "--limit", str(MESSAGES * 2))
    assert len(outbox) == MESSAGES
