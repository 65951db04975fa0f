"""A Twilio Messages API on loopback: ``POST /2010-04-01/Accounts/{sid}/Messages.json``.

It checks what a real one would refuse (the path's account, Basic auth with the account SID
and token, a form body with To, Body and From or MessagingServiceSid) and answers by the
recipient: ``answers[to]`` is (HTTP status, Twilio error code) for that number, ``"drop"``
closes the connection unanswered, anything else is accepted (201, a new SID).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

SID = "AC" + "0" * 32
TOKEN = "twilio-test-token"


@dataclass
class TwilioServer:
    answers: dict[str, Any] = field(default_factory=dict)
    accepted: list[dict[str, str]] = field(default_factory=list)  # the form of each message
    refused: list[str] = field(default_factory=list)  # why a request was not understood
    headers: dict[str, str] = field(default_factory=dict)  # sent with every refusal

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def sms_url(self, **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in ({"from": "+15005550006"} | options).items())
        return f"twilio://{SID}:{TOKEN}@?{query}&api={self.url}"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", "0")))
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        problem = self._problem(request, form)
        if problem:
            self.refused.append(problem)
            auth = "auth" in problem  # Twilio's "Authenticate" error
            refusal = {"code": 20003 if auth else 21601, "message": problem}
            return self._answer(request, 401 if auth else 400, refusal)
        answer = self.answers.get(form["To"])
        if answer == "drop":
            request.close_connection = True
            request.connection.close()
            return None
        if answer is not None:
            status, code = answer
            return self._answer(
                request, status, {"code": code, "message": "refused", "status": status},
                self.headers,
            )  # fmt: skip
        self.accepted.append(form)
        sid = f"SM{len(self.accepted):032d}"
        message = {"sid": sid, "status": "queued", "to": form["To"], "body": form["Body"]}
        return self._answer(request, 201, message | {"account_sid": SID, "error_code": None})

    def _problem(self, request: BaseHTTPRequestHandler, form: dict[str, str]) -> str:
        if request.path != f"/2010-04-01/Accounts/{SID}/Messages.json":
            return f"unknown path {request.path}"
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return "auth: wrong or missing credentials"
        if not form.get("To") or not form.get("Body"):
            return "To and Body are required"
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return "From or MessagingServiceSid is required"
        return ""

    def _answer(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
