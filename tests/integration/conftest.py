"""Fixtures for the integration tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from tests.integration.fuzzing import Records
from tests.smtp_sink import SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 (a free port) that keeps every message it accepts."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


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
