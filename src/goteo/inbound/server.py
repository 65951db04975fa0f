"""``goteo inbound``: an SMTP server that takes bounce reports, complaints and mailto unsubscribes.

It accepts mail only for signed ``bounces+…`` and ``unsubscribe+…`` addresses (anything else
gets ``550``) and applies each message before answering, so a message it could not store gets
``451`` and the sending server tries again later: nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def _apply(addresses: list[str], data: bytes) -> list[Any]:
    """In the worker thread: apply the message for each recipient."""
    from django.db import close_old_connections

    from goteo.inbound.process import process

    close_old_connections()  # a connection broken since the last message is replaced
    try:
        return [process(address, data) for address in addresses]
    finally:
        close_old_connections()


class InboundHandler:
    """aiosmtpd handler: check each recipient, then apply the message in a worker thread."""

    def __init__(self) -> None:
        # One thread: the database work is serial, and the connection stays in one thread.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="goteo-inbound")

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        from goteo.inbound.process import accepts

        if not accepts(address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            results = await loop.run_in_executor(
                self.executor, _apply, list(envelope.rcpt_tos), bytes(data)
            )
        except Exception:
            log.exception("could not apply a message for %s", envelope.rcpt_tos)
            return "451 4.3.0 Could not process the message now; try again later"
        for result in results:
            log.info("%s: %s, %d new event(s)", result.address, result.kind, result.recorded)
        return "250 2.0.0 OK"

    def close(self) -> None:
        self.executor.shutdown(wait=True)


def inbound_controller(host: str, port: int) -> tuple[Controller, InboundHandler]:
    handler = InboundHandler()
    controller = Controller(
        handler, hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES, ready_timeout=10
    )
    return controller, handler
