"""A sender thread: rendering the next message overlaps the SMTP round trip of this one.

The thread does the three things that must stay together for the delivery guarantees: ask
the gate (contact, campaign, suppression list, pause) just before sending, send, and record
the result at once. So at most one accepted-but-unrecorded message exists per connection, as
docs/delivery-guarantees.md says.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from goteo.channels.base import EmailChannel, OutgoingEmail, Result
from goteo.worker.gate import Facts, Send, Verdict, decide, email_hash

DEPTH = 4  # messages composed ahead of the one on the wire


@dataclass(frozen=True)
class Job:
    contact_id: int
    campaign_id: int | None
    kind: str
    now: datetime
    message: OutgoingEmail
    record: Callable[[Result | Verdict], None]  # runs in the sender thread


FactsQuery = Callable[[int, int | None, str], Facts]


class SenderThread:
    def __init__(self, channel: EmailChannel, facts_of: FactsQuery) -> None:
        self.channel = channel
        self.facts_of = facts_of
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="goteo-sender", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._raise_if_failed()
        self._jobs.put(job)

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
                    if self._error is None:
                        self._handle(job)
                except BaseException as exc:  # kept and re-raised in the worker's thread
                    self._error = exc
                finally:
                    self._jobs.task_done()
            self._jobs.task_done()
        finally:
            connection.close()

    def _handle(self, job: Job) -> None:
        facts = self.facts_of(job.contact_id, job.campaign_id, email_hash(job.message.to_addr))
        verdict = decide(job.kind, facts, job.now)
        if not isinstance(verdict, Send):
            job.record(verdict)
            return
        job.record(self.channel.send(job.message))
