"""Goteo behind PgBouncer in transaction mode (docs/scaling.md#pgbouncer-in-transaction-mode),
with the two settings a transaction pooler needs: two workers of two connections each send a
backlog once each, and threads recording events while others export contacts all finish.

It runs where a ``pgbouncer`` binary is installed (Debian: ``apt install pgbouncer``), and is
skipped elsewhere. PgBouncer refuses to run as root: as root, it runs as ``postgres``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.integration.procs import (
    free_port,
    message_ids,
    prepare_backlog,
    start_workers,
    stop_workers,
    wait_for_messages,
)

from goteo.mailcatcher import MailCatcher

PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
MESSAGES = 600
POOLED = {"GOTEO_DATABASE_SERVER_CURSORS": "off", "GOTEO_DATABASE_PREPARE": "off"}

# On a laptop without it, skipped; in CI (.ci/run installs it) required.
if PGBOUNCER is None and os.environ.get("CI") == "true":
    raise RuntimeError("pgbouncer is required when CI=true (.ci/run installs it)")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(PGBOUNCER is None, reason="needs pgbouncer installed"),
]

CONFIG = """\
[databases]
* = host=127.0.0.1 port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
unix_socket_dir =
ignore_startup_parameters = extra_float_digits,options
"""


@contextmanager
def pgbouncer() -> Iterator[int]:
    """A PgBouncer in transaction mode on a free loopback port, in front of the test server."""
    assert PGBOUNCER is not None
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="goteo-pgbouncer-") as name:
        folder = Path(name)
        folder.chmod(0o755)  # readable by the user it runs as
        (folder / "users.txt").write_text('"postgres" ""\n', encoding="utf-8")
        config = folder / "pgbouncer.ini"
        config.write_text(CONFIG.format(port=port, folder=folder), encoding="utf-8")
        command = [PGBOUNCER, str(config)]
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                pytest.skip("PgBouncer refuses to run as root, and there is no runuser")
            command = [runuser, "-u", "postgres", "--", *command]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _wait_for(port, process)
            yield port
        finally:
            process.terminate()
            process.communicate(timeout=30)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"pgbouncer stopped: {process.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("pgbouncer did not start")


def through(env: dict[str, str], port: int) -> dict[str, str]:
    """The environment with its database reached through PgBouncer, and the pooler settings."""
    database = env["GOTEO_DATABASE_URL"].rsplit("/", 1)[1]
    return env | POOLED | {"GOTEO_DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/{database}"}


def test_workers_send_each_message_once_through_pgbouncer(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    mailbox = tmp_path / "mailbox"
    smtp = free_port()
    catcher = MailCatcher(mailbox, port=smtp)
    catcher.start()
    env = goteo_env | {"GOTEO_EMAIL_URL": f"smtp://127.0.0.1:{smtp}"}
    try:
        prepare_backlog(env, tmp_path, MESSAGES)
        with pgbouncer() as port:
            workers = start_workers(through(env, port), (2, 2))
            wait_for_messages(mailbox, MESSAGES, 120)
            totals = stop_workers(workers)
    finally:
        catcher.stop()
    counts = message_ids(mailbox)
    assert len(counts) == MESSAGES and max(counts.values()) == 1
    assert sum(t["sent"] for t in totals) == MESSAGES and sum(t["failed"] for t in totals) == 0


# Six threads record events (each batch creating its contacts) while three export contacts
# with .iterator(): under transaction pooling, each transaction may get another server
# connection.
INGEST_AND_EXPORT = """
import threading
import django
django.setup()
from django.db import connection
from django.utils import timezone
from goteo.actions.contact_export import csv_rows
from goteo.actions.events import EventInput, do_record_events
from goteo.contacts.models import Contact

errors = []

def ingest(n):
    try:
        for b in range(10):
            batch = [EventInput(name="page_view", email=f"p{n}-{b}-{i}@example.com")
                     for i in range(50)]
            do_record_events(batch, timezone.now())
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

def export():
    try:
        for _ in range(5):
            sum(1 for _ in csv_rows(Contact.objects.all()))
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=ingest, args=(n,)) for n in range(6)]
threads += [threading.Thread(target=export) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors
print(Contact.objects.count())
"""


def test_the_events_ingest_and_exports_work_through_pgbouncer(goteo_env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "goteo", "migrate"], env=goteo_env, check=True, capture_output=True
    )
    with pgbouncer() as port:
        result = subprocess.run(
            [sys.executable, "-c", INGEST_AND_EXPORT],
            env=through(goteo_env, port),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["3000"]
