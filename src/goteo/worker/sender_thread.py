"""The send path's two threads: one on the wire, one at the database.

The three things that must stay together for the delivery guarantees, for every channel
alike: ask the gate (contact, campaign, suppression list, consent for the channel, pause,
pacing) just before a message becomes the provider's, hand it over, and record the result
before the next message on the same connection does. So at most one accepted-but-unrecorded
message exists per connection, as docs/delivery-guarantees.md says.

The **recorder** thread runs every database write of the send path, each batch of requests in
one short transaction: the check of the next message (the contact's row locked, the message
marked in flight) and the record of the last one on the same connection share a commit. The
**wire** thread talks to the provider with no transaction open; a worker with several
connections (``GOTEO_EMAIL_CONNECTIONS``) has one wire thread for each, with its own channel
set, and they share the recorder. The two overlap: while the
recorder checks a message and records the one before, the wire thread already sends what is
not yet a delivery (for SMTP, the ``MAIL FROM`` and ``RCPT TO`` round trips), and waits for
the verdict only at the point of no return (before ``DATA``). A message the gate refuses is
abandoned there (``RSET``), having reached no one. A channel with no such split asks first and
sends after.

An unsubscribe that arrives meanwhile waits for the mark before it is acknowledged
(``campaigns.in_flight``), and two workers never both take a contact's last slot under a
frequency cap, since each check counts the messages in flight (docs/pacing.md). The worker's
other writes while a batch is sent go through the recorder too (``call``).

On SQLite each transaction holds the database's single write lock, and a waiting writer (the
web server) only retries now and then, so the recorder lets go of it for a moment after each
second spent holding it without a long enough gap: an unsubscribe waits about a second of
writing at most (a few seconds of wall time when messages take longer on the wire than in
the database, which leaves the lock free most of the time).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from django.db import connection, transaction

from goteo.campaigns.delivery_kinds import MARKETING
from goteo.channels.base import Channel, Prepared, Result, Throttled, deliver_when_ready
from goteo.channels.registry import Channels
from goteo.engine.pacing import Pacing
from goteo.worker.admission import Admission
from goteo.worker.claims import PacingQuery, PostageQuery, mark_in_flight
from goteo.worker.gate import NO_PACING, Facts, Hold, Send, Verdict, decide
from goteo.worker.rate_limits import Throttle

DEPTH = 4  # messages composed ahead of the one on the wire, per connection
# SQLite: after holding the write lock this long in all without a break, pause longer than the
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
    record: Callable[[Result | Verdict], None]  # runs in the recorder thread
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


Owed = tuple[Job, Result | Verdict]  # a message's outcome, not yet recorded


@dataclass
class _Request:
    """One unit of the recorder's work, done in its turn inside a shared transaction."""

    owed: Owed | None = None  # record this first
    check: Job | None = None  # then check this one and mark it in flight
    write: Callable[[], None] | None = None  # or run this write
    deadline: float | None = None  # the mark's, when ``check`` is to be sent
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def wait(self) -> float | None:
        self.done.wait()
        if self.error is not None:
            raise RuntimeError("the recorder failed") from self.error
        return self.deadline


class SenderThread:
    def __init__(
        self,
        facts_of: FactsQuery,
        pacing: Pacing = NO_PACING,
        throttle: Throttle | None = None,
        lease_seconds: float = 120.0,  # each message's lease, renewed when it is marked in flight
        more_connections: Sequence[Channels] = (),  # a channel set per further wire thread
        admission: Admission | None = None,  # domain limits and throttled providers' pauses
    ) -> None:
        self.facts_of = facts_of
        self.lease_seconds = lease_seconds
        self.pacing = pacing
        self.throttle = throttle or Throttle({})
        self.admission = admission or Admission(_utc_now, self.throttle)
        wires = 1 + len(more_connections)
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=DEPTH * wires)
        self._requests: queue.Queue[_Request | None] = queue.Queue()
        self._error: BaseException | None = None
        self._turns = _Turns()
        self._recorder = threading.Thread(
            target=self._record_loop, name="goteo-recorder", daemon=True
        )
        # The first wire thread delivers through the providers that prepared the messages;
        # each other one through its own (its own connection).
        self._wires = [
            threading.Thread(
                target=self._wire_loop, args=(own,), name=f"goteo-sender-{i}", daemon=True
            )
            for i, own in enumerate((None, *more_connections))
        ]
        self._recorder.start()
        for wire in self._wires:
            wire.start()

    def submit(self, job: Job) -> None:
        self._raise_if_failed()
        self._jobs.put(job)

    def call(self, write: Callable[[], None]) -> None:
        """Run ``write`` (a database write) in the recorder thread, in its own turn."""
        self._raise_if_failed()
        self._requests.put(_Request(write=write))

    def drain(self) -> None:
        """Wait until every submitted message is sent and recorded, and every write done."""
        self._jobs.join()
        marker = _Request()
        self._requests.put(marker)
        marker.done.wait()
        self._raise_if_failed()

    def stop(self) -> None:
        for _ in self._wires:
            self._jobs.put(None)  # one each: a wire thread stops at the first it takes
        for wire in self._wires:
            wire.join()
        self._requests.put(None)
        self._recorder.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise RuntimeError("the sender thread failed") from error

    # The wire thread.

    def _wire_loop(self, own: Channels | None) -> None:
        try:
            self._wire_work(own)
        finally:
            connection.close()  # a provider (or a test's spy) may have used the database

    def _wire_work(self, own: Channels | None) -> None:
        """Each message taken is marked done once its outcome is recorded (``drain``)."""
        owed: Owed | None = None
        while True:
            if owed is None:
                job = self._jobs.get()
            else:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:  # nothing more queued: record the last message now
                    self._settle(owed)
                    owed = None
                    continue
            if job is None:
                self._settle(owed)
                self._jobs.task_done()
                return
            if self._error is not None:  # after a failure, only drain the queue
                self._settle(owed)
                owed = None
                self._jobs.task_done()
                continue
            if self.admission.watching and self._postponed(job):
                continue
            if owed is not None and job.channel.name in self.throttle.intervals:
                self._settle(owed)  # a throttle's wait never delays a record
                owed = None
            self.throttle.wait(job.channel.name)  # no transaction open, no lock held
            last, owed = owed, None
            try:
                channel = job.channel if own is None else own[job.channel.name]
                owed = self._send(job, last, channel)
                if owed is not None and type(owed[1]) is Throttled:
                    self.admission.throttled(job.channel.name, owed[1])
            except BaseException as exc:  # kept and re-raised in the worker's thread
                self._error = exc
            finally:
                if last is not None:
                    self._jobs.task_done()  # recorded in the request that checked ``job``
                if owed is None:
                    self._jobs.task_done()

    def _postponed(self, job: Job) -> bool:
        """Give ``job`` back for later when its domain or its paused provider says so: its
        record joins the recorder's next transaction, without waiting for it (a drain's
        marker comes after it), and the wire thread goes on with the next message."""
        held = self.admission.hold(job.channel.name, job.message.to_address)
        if held is None:
            return False
        self._requests.put(_Request(owed=(job, held)))
        self._jobs.task_done()
        return True

    def _settle(self, owed: Owed | None) -> None:
        """Record ``owed`` and wait for its commit."""
        if owed is None:
            return
        request = _Request(owed=owed)
        self._requests.put(request)
        try:
            request.wait()
        except BaseException as exc:
            self._error = exc
        finally:
            self._jobs.task_done()

    def _send(self, job: Job, owed: Owed | None, channel: Channel) -> Owed | None:
        """Check ``job`` (recording ``owed`` in the same commit) while the wire thread does
        what comes before the point of no return; then send it, or not."""
        request = _Request(owed=owed, check=job)
        self._requests.put(request)
        verdict: list[Result | Verdict] = []

        def ready() -> bool:
            deadline = request.wait()
            if deadline is None:  # refused by the gate (recorded), or no longer ours
                return False
            if time.time() >= deadline:  # the last moment: its lease, and so its mark, ran out
                verdict.append(Hold())
                return False
            return True

        result = deliver_when_ready(channel, job.message, ready)
        request.wait()  # the last message is recorded (and this one's verdict, if refused)
        if result is not None:
            return job, result
        return (job, verdict[0]) if verdict else None

    # The recorder thread.

    def _record_loop(self) -> None:
        try:
            while True:
                first = self._requests.get()
                if first is None:
                    return
                batch = [first]
                while True:  # whatever else is waiting joins the same transaction
                    try:
                        more = self._requests.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self._requests.put(None)  # stop after this batch
                        break
                    batch.append(more)
                self._run(batch)
        finally:
            connection.close()

    def _run(self, batch: list[_Request]) -> None:
        try:
            if self._error is None and any(r.owed or r.check or r.write for r in batch):
                with self._transaction():
                    for request in batch:
                        self._do(request)
        except BaseException as exc:
            self._error = exc
            for request in batch:
                request.error = exc
        finally:
            for request in batch:
                request.done.set()

    def _do(self, request: _Request) -> None:
        if request.owed is not None:
            job, result = request.owed
            job.record(result)
        if request.write is not None:
            request.write()
        if request.check is not None:
            request.deadline = self._check(request.check)

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
            job.delivery_id, job.contact_id, job.owner, job.now, self.lease_seconds, message.price
        )

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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Turns:
    """On SQLite, take a break from writing after each ``TURN`` seconds spent holding the
    write lock without a gap of ``BREAK``.

    Only the time inside transactions counts: between them (a message on the wire) the lock is
    free, and a waiting writer takes it when its next retry falls there. When the thread
    writes back to back, the break comes after a second of wall time, as before.
    """

    def __init__(self) -> None:
        self.held = 0.0  # lock time in the current run of writes
        self.started = 0.0  # when the current transaction began
        self.last = 0.0  # when the last write ended

    def begin(self) -> None:
        if connection.vendor != "sqlite":
            return
        now = time.monotonic()
        if now - self.last >= BREAK:
            self.held = 0.0  # the lock was free long enough: a new turn
        elif self.held >= TURN:
            time.sleep(BREAK)
            self.held = 0.0
            now = time.monotonic()
        self.started = now

    def end(self) -> None:
        self.last = time.monotonic()
        self.held += self.last - self.started
