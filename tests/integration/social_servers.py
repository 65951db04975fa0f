"""Loopback servers for the social providers: the Mastodon and AT Protocol endpoints Goteo
calls, checking authentication and request shape, and keeping what was posted.

The Mastodon server honours ``Idempotency-Key`` as Mastodon does (the same key returns the
first status); the AT Protocol server refuses a record key that is taken, as a PDS does.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# A calendar declaring one Mastodon account on a loopback server, with a post not yet due.
MASTODON_ACCOUNT = """\
key: news
accounts:
  mastodon-en: {{provider: mastodon, server: "{server}", handle: "@goteo", locale: en,
                token_env: {token_env}}}
posts:
  - id: later
    account: mastodon-en
    at: 2040-01-01 09:00
    text: Not due in these tests
"""
CID = "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"
DID = "did:plc:goteotest"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LoopbackServer:
    requests: list[Request] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # request shapes the server refused

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = Request(self.command, self.path, dict(self.headers.items()), body)
                server.requests.append(request)
                status, answer = server.answer(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def refuse(self, status: int, why: str) -> tuple[int, dict[str, Any]]:
        self.problems.append(why)
        return status, {"error": why, "message": why}

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def form_parts(request: Request) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body: name -> (file name, content)."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return parts


@dataclass
class FakeMastodon(LoopbackServer):
    token: str = "mastodon-token"
    media: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key ->
    # "status" or "media": answer that endpoint with a document that is not one
    malformed: str = ""
    refuse_statuses: int = 0  # answer every status with this HTTP status (503, 422)
    accepted: list[str] = field(default_factory=list)  # the key of each status answered 200

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self.refuse(401, "The access token is invalid")
        if request.method == "POST" and request.path == "/api/v2/media":
            if self.malformed == "media":
                return 200, ["unexpected"]  # type: ignore[return-value]
            parts = form_parts(request)
            if "file" not in parts or not parts.get("description", (None, b""))[1]:
                return self.refuse(422, "media needs a file and a description")
            item: dict[str, Any] = {
                "id": f"m{len(self.media) + 1}",
                "type": "image",
                "url": f"{self.url}/m",
            }
            item |= {
                "description": parts["description"][1].decode(),
                "bytes": len(parts["file"][1]),
            }
            self.media.append(item)
            return 200, item
        if request.method == "POST" and request.path == "/api/v1/statuses":
            return self._status(request)
        return self.refuse(404, f"no endpoint {request.method} {request.path}")

    def _status(self, request: Request) -> tuple[int, dict[str, Any]]:
        key = request.headers.get("Idempotency-Key")
        if self.malformed == "status":
            return 200, {"unexpected": True}
        if not key:
            return self.refuse(422, "no Idempotency-Key")
        if self.refuse_statuses:
            return self.refuse(self.refuse_statuses, f"answered {self.refuse_statuses}")
        if request.headers.get("Content-Type", "").startswith("application/json"):
            fields = json.loads(request.body)
        else:
            fields = {
                k: v if len(v) > 1 else v[0] for k, v in parse_qs(request.body.decode()).items()
            }
        with self.lock:
            if key in self.statuses:
                self.accepted.append(key)
                return 200, self.statuses[key]
            number = len(self.statuses) + 1
            status = {
                "id": str(100 + number),
                "url": f"{self.url}/@goteo/{100 + number}",
                "uri": f"{self.url}/users/goteo/statuses/{100 + number}",
                "created_at": "2026-03-02T09:00:00.000Z",
                "content": fields.get("status", ""),
                "language": fields.get("language"),
                "media_ids": fields.get("media_ids[]", fields.get("media_ids", [])),
                "visibility": "public",
            }
            self.statuses[key] = status
            self.accepted.append(key)
        return 200, status


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


@dataclass
class FakeAtproto(LoopbackServer):
    handle: str = "goteo.test"
    password: str = "app-password"
    blobs: list[bytes] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # rkey -> record
    creates: int = 0

    @property
    def access(self) -> str:
        return _jwt({"sub": DID, "scope": "com.atproto.appPass", "exp": 4102444800, "iat": 1})

    def answer(self, request: Request) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(request.path)
        method = parts.path.removeprefix("/xrpc/")
        if method == "com.atproto.server.createSession":
            login = json.loads(request.body)
            if (login.get("identifier"), login.get("password")) != (self.handle, self.password):
                return self.refuse(401, "AuthenticationRequired")
            refresh = _jwt({"sub": DID, "scope": "com.atproto.refresh", "exp": 4102444800})
            return 200, {
                "accessJwt": self.access,
                "refreshJwt": refresh,
                "handle": self.handle,
                "did": DID,
            }
        if request.headers.get("Authorization") != f"Bearer {self.access}":
            return self.refuse(401, "AuthenticationRequired")
        if method == "com.atproto.repo.uploadBlob":
            self.blobs.append(request.body)
            blob = {"$type": "blob", "ref": {"$link": CID}, "mimeType": "image/png"}
            return 200, {"blob": blob | {"size": len(request.body)}}
        if method == "com.atproto.repo.createRecord":
            return self._create(json.loads(request.body))
        if method == "com.atproto.repo.getRecord":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            record = self.records.get(query.get("rkey", ""))
            if query.get("repo") != DID or record is None:
                return 400, {"error": "RecordNotFound", "message": "Could not locate record"}
            uri = f"at://{DID}/{query['collection']}/{query['rkey']}"
            return 200, {"uri": uri, "cid": CID, "value": record}
        return self.refuse(404, f"no method {method}")

    def _create(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if data.get("repo") != DID or data.get("collection") != "app.bsky.feed.post":
            return self.refuse(400, "wrong repo or collection")
        rkey, record = data.get("rkey"), data.get("record", {})
        if not isinstance(rkey, str) or len(rkey) != 13:
            return self.refuse(400, "rkey must be a TID")
        if record.get("$type") != "app.bsky.feed.post" or not record.get("createdAt"):
            return self.refuse(400, "not a post record")
        with self.lock:
            self.creates += 1
            if rkey in self.records:
                return 400, {"error": "InvalidRequest", "message": "Record already exists"}
            self.records[rkey] = record
        return 200, {"uri": f"at://{DID}/app.bsky.feed.post/{rkey}", "cid": CID}
