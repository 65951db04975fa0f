"""Fixtures for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import timezone
from tests.integration.flow_helpers import close_worker, make_worker
from tests.smtp_sink import SmtpSink

from goteo.engine.clock import ManualClock
from goteo.worker.loop import Worker


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 (a free port) that keeps every message it accepts."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def worker(smtp_sink: SmtpSink) -> Iterator[Worker]:
    """A worker in this process on a manual clock, sending to ``smtp_sink``; ``run_now``
    (``tests.integration.flow_helpers``) sets the clock to now and runs it until idle."""
    w = make_worker(smtp_sink, ManualClock(timezone.now()))
    yield w
    close_worker(w)
