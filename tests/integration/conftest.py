"""Fixtures for the integration tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from tests.integration.flow_helpers import T0, close_worker, make_worker
from tests.integration.fuzzing import Records
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
def clock() -> ManualClock:
    """A manual clock at ``T0`` (a test file may define its own)."""
    return ManualClock(T0)


@pytest.fixture
def worker(smtp_sink: SmtpSink, clock: ManualClock) -> Iterator[Worker]:
    """A worker in this process on ``clock``, sending to ``smtp_sink`` over SMTP."""
    w = make_worker(smtp_sink, clock)
    yield w
    close_worker(w)


@pytest.fixture
def log() -> Iterator[Records]:
    """Everything logged during the test, at every level, as the server's log handler has it."""
    records = Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(records)
    root.setLevel(level)
