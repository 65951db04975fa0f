"""What the SMTP channel logs: connection trouble at WARNING, once per run of failures, and
nothing for what is routine (a server that closed an idle connection)."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator

import pytest
from tests.smtp_sink import SmtpSink

from goteo.channels.base import Delivered, OutgoingEmail, Retryable
from goteo.channels.connection_trouble import ConnectionTrouble
from goteo.channels.email.smtp import SmtpChannel
from goteo.config import email_settings

SMTP = "goteo.channels.email.smtp"


def outgoing(delivery_id: int) -> OutgoingEmail:
    return OutgoingEmail(
        delivery_id=delivery_id,
        message_id=f"{delivery_id}.hello@goteo.example",
        from_addr="Shop <shop@goteo.example>",
        to_addr="ana@example.com",
        to_name="Ana",
        subject="Hello",
        html="<p>Hello</p>",
        text="Hello\n",
    )


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == SMTP]


@pytest.fixture
def hang_up_server() -> Iterator[int]:
    """A server on loopback that greets, answers EHLO, then hangs up at MAIL FROM."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            with conn, conn.makefile("rb") as lines:
                conn.sendall(b"220 hang-up.example ESMTP\r\n")
                lines.readline()  # EHLO
                conn.sendall(b"250 hang-up.example\r\n")
                lines.readline()  # MAIL FROM: hang up without a reply

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_a_lost_connection_is_a_warning(
    hang_up_server: int, caplog: pytest.LogCaptureFixture
) -> None:
    smtp = SmtpChannel(email_settings(f"smtp://127.0.0.1:{hang_up_server}?timeout=5"))
    caplog.set_level(logging.WARNING)
    try:
        first, second = smtp.send(outgoing(1)), smtp.send(outgoing(2))
    finally:
        smtp.close()
    assert isinstance(first, Retryable) and isinstance(second, Retryable)
    assert "lost" in first.reason
    logged = warnings(caplog)
    assert len(logged) == 1, logged  # the second failure of the run waits for the next minute
    assert logged[0].startswith(f"connection to 127.0.0.1:{hang_up_server} lost: ")


def test_an_idle_connection_the_server_closed_is_not_trouble(
    smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    smtp = SmtpChannel(email_settings(f"{smtp_sink.url}?timeout=5"))
    caplog.set_level(logging.WARNING)
    try:
        assert isinstance(smtp.send(outgoing(1)), Delivered)
        smtp_sink.stop()
        smtp_sink.start()  # the kept connection is dead; a new one works at once
        assert isinstance(smtp.send(outgoing(2)), Delivered)
    finally:
        smtp.close()
    assert warnings(caplog) == []


def test_a_long_run_of_failures_is_a_warning_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    seconds = [0.0]
    trouble = ConnectionTrouble(
        logging.getLogger(SMTP), "the SMTP server mx:25", monotonic=lambda: seconds[0]
    )
    caplog.set_level(logging.WARNING)
    for _ in range(130):  # one failure a second for 130 seconds
        trouble.failed("cannot connect to mx:25: refused")
        seconds[0] += 1
    trouble.worked()
    trouble.worked()
    assert warnings(caplog) == [
        "cannot connect to mx:25: refused; the message waits for a retry",
        "cannot connect to mx:25: refused; still failing: 60 failed attempts since the last "
        "warning, 61 in all",
        "cannot connect to mx:25: refused; still failing: 60 failed attempts since the last "
        "warning, 121 in all",
        "the SMTP server mx:25 answers again after 130 failed attempts",
    ]
