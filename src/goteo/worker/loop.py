"""The worker loop: claim due enrollments, run the engine, drain the outbox. Repeat."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import close_old_connections

from goteo.actions.scoring import decay_tick
from goteo.actions.segment_triggers import enroll_segments
from goteo.actions.split_winners import do_decide_splits
from goteo.channels.registry import Channels
from goteo.engine.clock import Clock
from goteo.engine.pacing import Pacing
from goteo.worker.admission import Admission
from goteo.worker.claims import claim_deliveries, claim_enrollments, send_facts
from goteo.worker.delivering import Tally, send_claimed
from goteo.worker.domain_limits import DomainLimit
from goteo.worker.heartbeat import Heartbeat
from goteo.worker.pacing_config import (
    domain_limits_from_settings,
    pacing_from_settings,
    rate_limits_from_settings,
)
from goteo.worker.progress import Progress
from goteo.worker.rate_limits import Throttle
from goteo.worker.scheduler import run_enrollments
from goteo.worker.sender_thread import SenderThread
from goteo.worker.social import publish_due_posts

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Totals:
    steps_claimed: int = 0
    deliveries_written: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    postponed: int = 0
    scheduling_seconds: float = 0.0  # time spent claiming and advancing enrollments

    def add(self, tally: Tally) -> None:
        self.sent += tally.sent
        self.retried += tally.retried
        self.failed += tally.failed
        self.suppressed += tally.suppressed
        self.postponed += tally.postponed


@dataclass
class Worker:
    clock: Clock
    channels: Channels  # every configured channel's provider; rows are routed on their channel
    batch: int = 500
    # Deliveries claimed at a time, per connection: the connections go idle while one batch
    # ends and the next is claimed, so several of them take as many rounds each per batch.
    send_batch: int = 100
    lease_seconds: float = 120.0
    # The frequency cap and quiet hours, read from the settings when the worker is built.
    pacing: Pacing = field(default_factory=pacing_from_settings)
    # Messages a second per channel (GOTEO_RATE_LIMITS), for every channel alike.
    rate_limits: Mapping[str, float] = field(default_factory=rate_limits_from_settings)
    # Email per recipient domain and period (GOTEO_DOMAIN_LIMITS), counted on ``clock``.
    domain_limits: Mapping[str, DomainLimit] = field(default_factory=domain_limits_from_settings)
    # The channel sets of the further connections (GOTEO_EMAIL_CONNECTIONS - 1), each with its
    # own SMTP connection and provider clients; ``channels`` serves the first.
    more_connections: Sequence[Channels] = ()
    name: str = field(default_factory=worker_name)
    totals: Totals = field(default_factory=Totals)
    # The progress line, logged every few seconds while work flows.
    progress: Progress = field(default_factory=Progress)

    # Segment triggers, lead-score decay and auto-winner rules are looked at once per this
    # much clock time
    # (virtual time on the demo's fast clock and in tests).
    segment_every: timedelta = timedelta(minutes=1)
    posts_every: timedelta = timedelta(seconds=1)

    _thread: SenderThread | None = field(default=None, init=False, repr=False)
    # The rate limits, domain limits and throttled providers' pauses: kept while the sender
    # thread comes and goes (``close``), so a pause outlives ``run_until_idle``.
    _admission: Admission | None = field(default=None, init=False, repr=False)
    _heartbeat: Heartbeat | None = field(default=None, init=False, repr=False)
    _segments_at: datetime | None = field(default=None, init=False, repr=False)
    _posts_at: datetime | None = field(default=None, init=False, repr=False)

    def run_once(self) -> int:
        """One pass: every due step, then one batch of due deliveries. Returns work done."""
        work = self._segments()
        started = time.perf_counter()
        while ids := claim_enrollments(self.name, self.clock.now(), self.batch, self.lease_seconds):
            self.totals.steps_claimed += len(ids)
            self.totals.deliveries_written += run_enrollments(ids, self.name, self.clock.now())
            work += len(ids)
            self.progress.tick(self.totals, self.clock.now())
        self.totals.scheduling_seconds += time.perf_counter() - started
        size = self.send_batch * (1 + len(self.more_connections))
        ids = claim_deliveries(self.name, self.clock.now(), size, self.lease_seconds)
        if ids:
            tally = send_claimed(ids, self.name, self.clock.now(), self._sender(), self.channels)
            self.totals.add(tally)
            work += len(ids)
        work += self._posts()
        self.progress.tick(self.totals, self.clock.now())
        if self._heartbeat is None:
            self._heartbeat = Heartbeat(self.name)
        self._heartbeat.beat()
        return work

    def _posts(self) -> int:
        """The calendars' due posts: looked for at most once a second of clock time while
        none are found (a pass sends up to a batch of messages; posts need no such haste)."""
        now = self.clock.now()
        if self._posts_at is not None and now < self._posts_at + self.posts_every:
            return 0
        done = publish_due_posts(self.name, now)
        self._posts_at = None if done else now
        return done

    def _segments(self) -> int:
        """Enroll contacts who entered a segment-triggered campaign's segment, cool the hot
        leads whose score decayed under the threshold, and decide the splits whose auto-winner
        rule is met (all once per ``segment_every``)."""
        now = self.clock.now()
        if self._segments_at is not None and now < self._segments_at + self.segment_every:
            return 0
        self._segments_at = now
        decay_tick(now)
        do_decide_splits(now)
        return enroll_segments(now)

    def _sender(self) -> SenderThread:
        if self._thread is None:
            if self._admission is None:
                throttle = Throttle(self.rate_limits)
                self._admission = Admission(self.clock.now, throttle, self.domain_limits)
            admission = self._admission
            self._thread = SenderThread(
                send_facts, self.pacing, admission.throttle, self.lease_seconds,
                self.more_connections, admission,
            )  # fmt: skip
        return self._thread

    def close(self) -> None:
        """Stop the sender thread and close the channels' connections."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        for channels in (self.channels, *self.more_connections):
            channels.close()

    def run_until_idle(self) -> Totals:
        """Work until nothing is due at the clock's current time (tests, benchmarks)."""
        try:
            while self.run_once():
                pass
        finally:
            self.close()
        return self.totals

    def run(
        self,
        stop: threading.Event,
        idle_sleep: float = 0.5,
        on_pass: Callable[[], None] | None = None,
    ) -> Totals:
        """Work until ``stop`` is set; finish the messages in hand first (graceful).

        ``on_pass`` runs after every pass (the fast clock saves its position there).
        """
        log.info("worker %s started", self.name)
        try:
            while not stop.is_set():
                close_old_connections()
                worked = self.run_once()
                if on_pass is not None:
                    on_pass()
                if not worked:
                    stop.wait(idle_sleep)
        finally:
            self.close()
        return self.totals
