"""A sender thread: preparing the next message overlaps the round trip of this one.

The thread does the three things that must stay together for the delivery guarantees, for
every channel alike: ask the gate (contact, campaign, suppression list, pause, pacing) just
before sending, hand the message to its channel, and record the result at once. So at most one
accepted-but-unrecorded message exists per connection, as docs/delivery-guarantees.md says.

The three run in one transaction that starts by locking the contact's row: an unsubscribe
that arrives meanwhile is acknowledged only after this message is recorded (and then nothing
more goes to that contact), and two workers never both take a contact's last slot under a
frequency cap (docs/pacing.md). The worker's other writes while a batch is sent go through this
thread too (``call``), so they queue behind the message on the wire instead of waiting for it.

On SQLite that transaction holds the database's single write lock, and a waiting writer (the
web server) only retries now and then, so the thread lets go of it for a moment after each
second of holding it: an unsubscribe waits about a second at most, not for the whole batch.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import connection, transaction

from goteo.campaigns.delivery_kinds import MARKETING
from goteo.channels.base import Channel, Prepared, Result
from goteo.engine.pacing import Pacing
from goteo.worker.claims import PacingQuery
from goteo.worker.gate import NO_PACING, Facts, Send, Verdict, decide
from goteo.worker.rate_limits import Throttle

DEPTH = 4  # messages composed ahead of the one on the wire
# SQLite: after holding the write lock this long without a break, pause longer than the
# longest retry interval of a waiting writer (100 ms), so that it gets its turn.
TURN, BREAK = 1.0, 0.12


@dataclass(frozen=True)
class Job:
    contact_id: int
    campaign_id: int | None
    kind: str
    now: datetime
    channel: Channel
    message: Prepared
    record: Callable[[Result | Verdict], None]  # runs in the sender thread
    delivery_id: int | None = None  # needed under a frequency cap


class FactsQuery(Protocol):
    def __call__(
        self,
        contact_id: int,
        campaign_id: int | None,
        address_hash: str,
        pacing: PacingQuery | None = None,
    ) -> Facts: ...


class SenderThread:
    def __init__(
        self, facts_of: FactsQuery, pacing: Pacing = NO_PACING, throttle: Throttle | None = None
    ) -> None:
        self.facts_of = facts_of
        self.pacing = pacing
        self.throttle = throttle or Throttle({})
        self._jobs: queue.Queue[Job | Callable[[], None] | None] = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._turns = _Turns()
        self._thread = threading.Thread(target=self._run, name="goteo-sender", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._raise_if_failed()
        self._jobs.put(job)

    def call(self, write: Callable[[], None]) -> None:
        """Run ``write`` (a database write) in this thread, after the messages before it."""
        self._raise_if_failed()
        self._jobs.put(write)

    def drain(self) -> None:
        """Wait until every submitted message is sent and recorded."""
        self._jobs.join()
        self._raise_if_failed()

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError("the sender thread failed") from error

    def _run(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    if self._error is None:  # after a failure, only drain the queue
                        self._turns.begin()
                        self._do(job)
                        self._turns.end()
                except BaseException as exc:  # kept and re-raised in the worker's thread
                    self._error = exc
                finally:
                    self._jobs.task_done()
            self._jobs.task_done()
        finally:
            connection.close()

    def _do(self, job: Job | Callable[[], None]) -> None:
        if isinstance(job, Job):
            self._handle(job)
        else:
            job()

    def _handle(self, job: Job) -> None:
        self.throttle.wait(job.channel.name)  # before the transaction: no lock held meanwhile
        with transaction.atomic():
            address = job.message.address_hash or ""  # "" is never on the list
            facts = self.facts_of(job.contact_id, job.campaign_id, address, self._query(job))
            verdict = decide(job.kind, facts, job.now, self.pacing)
            if not isinstance(verdict, Send):
                job.record(verdict)
                return
            job.record(job.channel.deliver(job.message))

    def _query(self, job: Job) -> PacingQuery | None:
        cap = self.pacing.cap
        if cap is None or job.kind != MARKETING or job.delivery_id is None:
            return None
        return PacingQuery(job.delivery_id, job.now - cap.period, job.now)


class _Turns:
    """On SQLite, take a break from writing after each ``TURN`` seconds of writing."""

    def __init__(self) -> None:
        self.since: float | None = None  # when the current run of writes began
        self.last = 0.0  # when the last write ended

    def begin(self) -> None:
        if connection.vendor != "sqlite":
            return
        now = time.monotonic()
        if self.since is None or now - self.last >= BREAK:
            self.since = now  # the lock was free long enough: a new turn
        elif now - self.since >= TURN:
            time.sleep(BREAK)
            self.since = time.monotonic()

    def end(self) -> None:
        self.last = time.monotonic()
