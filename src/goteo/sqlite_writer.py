"""Queue for SQLite's one write lock without polling for it.

SQLite lets one connection write at a time; a second writer polls with growing sleeps (1, 2,
5, 10 … 25 ms), so two web workers storing batches back to back lose much of their time
asleep while the lock is already free. A blocking ``flock`` on a file beside the database
wakes the next writer the moment the lock is let go. Other databases need nothing of this.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def write_turn() -> Iterator[None]:
    """Wait for this process's turn to write (SQLite only), then hold it until the block ends.

    Use it around a write transaction that is not nested in another one."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        yield
        return
    descriptor = os.open(f"{name}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing lets go of the lock
