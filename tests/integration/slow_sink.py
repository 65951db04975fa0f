"""The test SMTP server, slowed down on purpose, noting when each message arrived.

``delay`` seconds pass before each recipient is accepted, so a worker's message stays in
flight long enough for something to happen meanwhile; ``on_recipient(address)`` runs (in the
server's thread) when a recipient is announced and may return extra seconds to wait.
``arrivals`` holds (``time.monotonic()`` when the whole message was received, recipients).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from tests.smtp_sink import SmtpSink, _Handler


class _SlowHandler(_Handler):
    sink: SlowSink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        extra = self.sink.on_recipient(address.lower()) if self.sink.on_recipient else None
        await asyncio.sleep(self.sink.delay + (extra or 0.0))
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # The data is here, not yet accepted: a hook may hold the message in flight.
        rcpts = [r.lower() for r in envelope.rcpt_tos]
        extra = [self.sink.on_data(r) for r in rcpts] if self.sink.on_data else []
        await asyncio.sleep(max((e or 0.0 for e in extra), default=0.0))
        arrived = time.monotonic()
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            with self.sink.lock:
                self.sink.arrivals.append((arrived, [r.lower() for r in envelope.rcpt_tos]))
        return reply


class SlowSink(SmtpSink):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.on_recipient: Callable[[str], float | None] | None = None  # at RCPT TO
        self.on_data: Callable[[str], float | None] | None = None  # once the data is in
        self.arrivals: list[tuple[float, list[str]]] = []

    def start(self) -> SlowSink:
        if self._controller is None:
            controller = Controller(
                _SlowHandler(self), hostname=self.host, port=self.port, enable_SMTPUTF8=False
            )
            controller.start()
            self._controller = controller
        return self

    def arrived_for(self, address: str) -> list[float]:
        with self.lock:
            return [t for t, rcpts in self.arrivals if address in rcpts]
