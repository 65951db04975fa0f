"""A sender thread: preparing the next message overlaps the round trip of this one.

The thread does the three things that must stay together for the delivery guarantees, for
every channel alike: ask the gate (contact, campaign, suppression list, consent for the
channel, pause, pacing) just before sending, hand the message to its channel, and record the
result at once. So at most one accepted-but-unrecorded message exists per connection, as
docs/delivery-guarantees.md says.

The check runs in a short transaction that starts by locking the contact's row and ends by
marking the message in flight; the message is sent with no transaction open, and its result
recorded right after, which clears the mark. An unsubscribe that arrives meanwhile waits for
the mark before it is acknowledged (``campaigns.in_flight``), and two workers never both take
a contact's last slot under a frequency cap, since each check counts the messages in flight
(docs/pacing.md). When another message is queued, the record of one and the check of the next
share a transaction: one commit per message. The worker's other writes while a batch is sent
go through this thread too (``call``), so they queue behind the message on the wire.

On SQLite each transaction holds the database's single write lock, and a waiting writer (the
web server) only retries now and then, so the thread lets go of it for a moment after each
second of writing without a long enough gap: an unsubscribe waits about a second at most.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import connection, transaction

from goteo.campaigns.delivery_kinds import MARKETING
from goteo.channels.base import Channel, Prepared, Result
from goteo.engine.pacing import Pacing
from goteo.worker.claims import PacingQuery, PostageQuery, mark_in_flight
from goteo.worker.gate import NO_PACING, Facts, Hold, Send, Verdict, decide
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
    delivery_id: int
    owner: str  # the worker holding the delivery's lease


class FactsQuery(Protocol):
    def __call__(
        self,
        contact_id: int,
        campaign_id: int | None,
        address_hash: str,
        pacing: PacingQuery | None = None,
        channel: str = "email",
        postage: PostageQuery | None = None,
    ) -> Facts: ...


class SenderThread:
    def __init__(
        self,
        facts_of: FactsQuery,
        pacing: Pacing = NO_PACING,
        throttle: Throttle | None = None,
        lease_seconds: float = 120.0,  # each message's lease, renewed when it is marked in flight
    ) -> None:
        self.facts_of = facts_of
        self.lease_seconds = lease_seconds
        self.pacing = pacing
        self.throttle = throttle or Throttle({})
        self._jobs: queue.Queue[Job | Callable[[], None] | None] = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._turns = _Turns()
        self._taken = 0
        self._stopping = False
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
            while not self._stopping:
                item = self._jobs.get()
                self._taken = 1  # items taken from the queue and not yet marked done
                try:
                    if item is None:
                        break
                    if self._error is None:  # after a failure, only drain the queue
                        self._do(item)
                except BaseException as exc:  # kept and re-raised in the worker's thread
                    self._error = exc
                finally:
                    for _ in range(self._taken):
                        self._jobs.task_done()
        finally:
            connection.close()

    def _do(self, item: Job | Callable[[], None]) -> None:
        if not isinstance(item, Job):
            with self._transaction():
                item()
            return
        job, owed = item, None
        while True:
            if owed is not None and job.channel.name in self.throttle.intervals:
                self._record(owed)  # a throttle's wait never delays a record
                owed = None
            self.throttle.wait(job.channel.name)  # no transaction open, no lock held
            with self._transaction():  # short: the contact is locked while checking only
                if owed is not None:
                    owed[0].record(owed[1])  # the last message's result, in the same commit
                deadline = self._check(job)
            owed = None if deadline is None else self._send(job, deadline)
            found, after = self._next()
            if isinstance(after, Job):  # more messages queued: chain on
                job = after
                continue
            if owed is not None:
                self._record(owed)
            if not found:
                return
            if after is None:  # the order to stop, after this
                self._stopping = True
            else:  # a write, in its turn
                with self._transaction():
                    after()
            return

    def _next(self) -> tuple[bool, Job | Callable[[], None] | None]:
        """The next queued item, if one is waiting (True and the item)."""
        try:
            item = self._jobs.get_nowait()
        except queue.Empty:
            return False, None
        self._taken += 1
        return True, item

    def _check(self, job: Job) -> float | None:
        """Inside the transaction: the gate's verdict; a message to send is marked in flight.

        Returns the mark's deadline, or None when the message is not to be sent here (the
        verdict is recorded, or the delivery is no longer this worker's).
        """
        message = job.message
        address = message.address_hash or ""  # "" is never on the list
        postage = None
        if message.price is not None or message.unpriced:  # a priced message: a mailer
            postage = PostageQuery(job.delivery_id, message.price, message.unpriced)
        facts = self.facts_of(
            job.contact_id, job.campaign_id, address, self._query(job), job.channel.name, postage
        )
        verdict = decide(job.kind, facts, job.now, self.pacing)
        if not isinstance(verdict, Send):
            job.record(verdict)
            return None
        return mark_in_flight(
            job.delivery_id, job.owner, job.now, self.lease_seconds, message.price
        )

    def _send(self, job: Job, deadline: float) -> tuple[Job, Result | Verdict]:
        if time.time() >= deadline:  # the last moment: its lease, and so its mark, ran out
            return job, Hold()
        return job, job.channel.deliver(job.message)

    def _record(self, owed: tuple[Job, Result | Verdict]) -> None:
        with self._transaction():
            owed[0].record(owed[1])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._turns.begin()
        with transaction.atomic():
            yield
        self._turns.end()

    def _query(self, job: Job) -> PacingQuery | None:
        cap = self.pacing.cap
        if cap is None or job.kind != MARKETING:
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
