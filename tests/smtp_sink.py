"""A real SMTP server on 127.0.0.1 that keeps what it receives, for tests and benchmarks.

sink = SmtpSink()
sink.start()
sink.responses["nobody@example.com"] = "550 5.1.1 no such user"  # refuse one recipient
sink.replies = ["451 4.7.28 rate limited"] * 3  # the next three messages' data refused
...                                   # send to 127.0.0.1:sink.port
sink.messages                         # [(envelope sender, recipients, message bytes)]
sink.stop()                           # start() again brings it back on the same port
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.sink.responses.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        with self.sink.lock:
            self.sink.envelopes.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.data_reply is not None:
            return self.sink.data_reply
        with self.sink.lock:
            if self.sink.replies:
                return self.sink.replies.pop(0)
        data = envelope.original_content or b""
        with self.sink.lock:
            self.sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), data))
            self.sink.peers.append(tuple(session.peer))
            self.sink.received_at.append(self.sink.clock())
            number = len(self.sink.messages)
        return f"250 2.0.0 Ok: queued as SINK{number}"


class SmtpSink:
    """An aiosmtpd server in a thread; ``responses`` forces the reply to a recipient."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, clock: Callable[[], Any] = time.time
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.messages: list[tuple[str, list[str], bytes]] = []
        # recipient (lower case) -> the reply to its RCPT TO, such as "451 4.3.0 try later"
        self.responses: dict[str, str] = {}
        # when set, the reply to every message's data, such as "554 5.6.0 rejected"
        self.data_reply: str | None = None
        # the replies to the next messages' data, one each, before it accepts again
        self.replies: list[str] = []
        self.clock = clock  # what ``received_at`` is stamped with (a test's manual clock)
        self.received_at: list[Any] = []  # when each of ``messages`` arrived, by ``clock``
        self.lock = threading.Lock()
        self.envelopes: list[str] = []  # each recipient accepted by RCPT TO, data or not
        self.peers: list[tuple[str, int]] = []  # the connection each message came over
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """A ``GOTEO_EMAIL_URL`` for this server."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> SmtpSink:
        if self._controller is None:
            controller = Controller(
                _Handler(self), hostname=self.host, port=self.port, enable_SMTPUTF8=False
            )
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
