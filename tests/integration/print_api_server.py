"""A print-and-mail API on loopback, in Lob's shape, strict about what it is sent.

It checks every request (basic authentication with the key, an ``Idempotency-Key``, a
multipart body with the fields the endpoint needs, PDFs that are PDFs), stores one letter or
postcard per idempotency key and answers a repeated key with the stored object, as Lob does.
``drop_next`` makes it create the object and then close the connection without answering;
``expected_delivery`` is the date it promises (None: it gives none, as some providers do).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback_http import LoopbackServer

KEY = "test_key_123"
NEEDS = {
    "/v1/letters": {"file", "to[name]", "to[address_line1]", "to[address_country]", "from[name]"},
    "/v1/postcards": {"front", "back", "size", "to[name]", "to[address_line1]", "from[name]"},
}


@dataclass
class PrintApi:
    status: int = 0  # answer every request with this status instead (0: behave)
    retry_after: str | None = None  # sent as Retry-After with such an answer
    drop_next: int = 0  # requests to create, then hang up on without an answer
    expected_delivery: str | None = "2026-12-10"  # the answer's expected_delivery_date
    requests: list[dict[str, Any]] = field(default_factory=list)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)  # by idempotency key

    def __post_init__(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                code, answer = api.handle(self.path, dict(self.headers.items()), body)
                if code == 0:  # created, then the connection drops
                    self.close_connection = True
                    self.connection.close()
                    return
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                if api.status and api.retry_after is not None:
                    self.send_header("Retry-After", api.retry_after)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.loopback = LoopbackServer(Handler)
        self.url = self.loopback.base_url
        self.close = self.loopback.stop

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        """Answer one request; its status is kept as the request's ``answered``."""
        code, answer = self._answer(path, headers, body)
        self.requests[-1]["answered"] = code
        return code, answer

    def accepted(self) -> list[str]:
        """The idempotency key of every request answered 200 (a repeat is answered again)."""
        return [r["key"] for r in self.requests if r["answered"] == 200]

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        fields = _form(headers.get("Content-Type", ""), body)
        key = headers.get("Idempotency-Key", "")
        self.requests.append({"path": path, "key": key, "fields": fields})
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, {"error": {"message": "bad API key", "status_code": 401}}
        if self.status:
            return self.status, {"error": {"message": "try again", "status_code": self.status}}
        missing = NEEDS.get(path, {"?"}) - set(fields)
        pdfs = [v for k, v in fields.items() if k in ("file", "front", "back")]
        if not key or missing or not all(v.startswith(b"%PDF-") for v in pdfs):
            problem = "no Idempotency-Key" if not key else f"missing {sorted(missing)}"
            return 422, {"error": {"message": problem, "status_code": 422}}
        if key not in self.created:
            kind = "ltr" if path.endswith("letters") else "psc"
            self.created[key] = {
                "id": f"{kind}_{len(self.created) + 1:04d}",
                "metadata": {"goteo_delivery": fields["metadata[goteo_delivery]"].decode()},
                "to": {k[3:-1]: v.decode() for k, v in fields.items() if k.startswith("to[")},
            }
            if self.expected_delivery is not None:
                self.created[key]["expected_delivery_date"] = self.expected_delivery
            if self.drop_next:
                self.drop_next -= 1
                return 0, None
        return 200, self.created[key]


def _form(content_type: str, body: bytes) -> dict[str, bytes]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        return {}
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[str(name)] = payload if isinstance(payload, bytes) else b""
    return fields
