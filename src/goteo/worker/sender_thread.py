"""A sender thread: rendering the next message overlaps the SMTP round trip of this one.

The thread does the three things that must stay together for the delivery guarantees: read
the contact's status just before sending, send, and record the result at once. So at most one
accepted-but-unrecorded message exists per connection, as docs/delivery-guarantees.md says.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from goteo.channels.base import EmailChannel, OutgoingEmail, Result

DEPTH = 4  # messages composed ahead of the one on the wire


@dataclass(frozen=True)
class Held:
    """Not sent: the contact is no longer active, or the campaign was paused."""

    contact_status: str | None
    campaign_status: str | None


@dataclass(frozen=True)
class Job:
    contact_id: int
    campaign_id: int
    message: OutgoingEmail
    record: Callable[[Result | Held], None]  # runs in the sender thread


StatusCheck = Callable[[int, int], tuple[str | None, str | None]]


class SenderThread:
    def __init__(self, channel: EmailChannel, status_of: StatusCheck) -> None:
        self.channel = channel
        self.status_of = status_of
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
        contact, campaign = self.status_of(job.contact_id, job.campaign_id)
        if contact != "active" or campaign != "active":
            job.record(Held(contact, campaign))
            return
        job.record(self.channel.send(job.message))
