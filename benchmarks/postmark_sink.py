"""A loopback endpoint answering like Postmark's send API, for benchmarks and tests.

    python -m benchmarks.postmark_sink PORT [--latency-ms MS]

``POST /email`` with the ``X-Postmark-Server-Token`` header answers 200 and
``{"To": ..., "SubmittedAt": ..., "MessageID": ..., "ErrorCode": 0, "Message": "OK"}``, as
Postmark does; anything else answers Postmark's error shape. HTTP/1.1 with keep-alive, on
asyncio in one thread: a request costs the parsing of its head and its JSON body, so the
endpoint stays well ahead of its clients. ``--latency-ms`` holds each answer back that long
(without blocking the other connections), like a provider across the network.

In a test, ``PostmarkSink().start()`` runs it in a background thread and keeps every message
it accepted (``received``: the decoded JSON bodies) and the client end of every connection
(``peers``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

_STATUS = {200: b"OK", 401: b"Unauthorized", 404: b"Not Found", 422: b"Unprocessable Entity"}


class _Exchange(asyncio.Protocol):
    def __init__(self, sink: PostmarkSink) -> None:
        self.sink = sink
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.sink.peers.append(transport.get_extra_info("peername"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (request := self._next()) is not None:
            status, body = self.sink.answer(*request)
            head = (
                b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % (status, _STATUS[status], len(body))
            )
            self._write(head + body)

    def _next(self) -> tuple[bytes, dict[bytes, bytes], bytes] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        if len(self.buffer) < end + 4 + length:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        return lines[0], headers, body

    def _write(self, data: bytes) -> None:
        assert self.transport is not None
        if self.sink.latency:
            asyncio.get_running_loop().call_later(self.sink.latency, self._later, data)
        else:
            self.transport.write(data)

    def _later(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class PostmarkSink:
    def __init__(self, latency_ms: float = 0.0, keep: bool = False) -> None:
        self.latency = latency_ms / 1000
        self.keep = keep
        self.received: list[dict[str, Any]] = []
        self.peers: list[tuple[str, int]] = []  # one per connection accepted
        self.count = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def answer(
        self, request_line: bytes, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[int, bytes]:
        method, path, _ = request_line.split(b" ", 2)
        if (method, path) != (b"POST", b"/email"):
            return 404, b'{"ErrorCode": 404, "Message": "Not found"}'
        if not headers.get(b"x-postmark-server-token"):
            return 401, b'{"ErrorCode": 10, "Message": "No Account or Server API tokens"}'
        try:
            message = json.loads(body)
            to = message["To"]
        except (ValueError, KeyError, TypeError):
            return 422, b'{"ErrorCode": 402, "Message": "Invalid JSON"}'
        self.count += 1
        if self.keep:
            self.received.append(message)
        return 200, json.dumps(
            {
                "To": to,
                "SubmittedAt": datetime.now(UTC).isoformat(),
                "MessageID": str(uuid.uuid4()),
                "ErrorCode": 0,
                "Message": "OK",
            }
        ).encode()

    async def serve(self, port: int = 0) -> None:
        self._loop = asyncio.get_running_loop()
        server = await self._loop.create_server(lambda: _Exchange(self), "127.0.0.1", port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await server.serve_forever()

    def start(self) -> PostmarkSink:
        """Serve from a background thread (tests); ``stop`` ends it."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            asyncio.run(self.serve())

    def stop(self) -> None:
        if self._loop is not None:
            for task in asyncio.all_tasks(self._loop):
                self._loop.call_soon_threadsafe(task.cancel)
            self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    sink = PostmarkSink(args.latency_ms)

    async def run() -> None:
        task = asyncio.create_task(sink.serve(args.port))
        while not sink.port:
            await asyncio.sleep(0.01)
        print("ready", flush=True)
        await task

    asyncio.run(run())


if __name__ == "__main__":
    main()
