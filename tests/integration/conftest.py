"""Fixtures for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.smtp_sink import SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 (a free port) that keeps every message it accepts."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
