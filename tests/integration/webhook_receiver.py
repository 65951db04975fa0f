"""A tiny HTTP server on loopback that records the webhook calls it receives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback_http import LoopbackServer


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int = 200  # the status the receiver answered with

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """``status`` is what it answers (set it to 500 to make the sender retry)."""

    status: int = 200
    calls: list[Call] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every answer

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.calls.append(
                    Call(self.path, dict(self.headers.items()), body, receiver.status)
                )
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.loopback = LoopbackServer(Handler)

    @property
    def url(self) -> str:
        return f"{self.loopback.base_url}/hook"

    def stop(self) -> None:
        self.loopback.stop()
