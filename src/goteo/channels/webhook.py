"""The webhook channel: POST a JSON document, signed, with an idempotency key.

A 2xx answer is delivered; 408, 429 and 5xx, timeouts and connection failures are retried (429,
and 503 with a ``Retry-After``, as ``Throttled``: no attempt used, the channel slowed);
any other 4xx is permanent (the receiver refuses it; sending it again would not help), and so
is a redirect, which is never followed. Only public addresses are called, unless
``GOTEO_WEBHOOK_ALLOW`` allows a network (``webhook_targets.py``).
The signature lets the receiver check the body came from us and is fresh:
``Goteo-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``. The
``Idempotency-Key`` is the same on every attempt of a delivery, so a receiver that keeps the
keys it has seen never acts twice, even after a crash between our POST and our record.

The row's context holds the target ``url`` and the ``payload``; the contact's current fields
are added when the message is prepared. ``GOTEO_WEBHOOK_URL`` chooses where the calls go:
``http:`` (the default) posts to each step's target; ``memory:`` and ``folder:/path`` keep
them (``channels/webhook_sinks.py``) for tests and trials.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from goteo.channels.base import (
    Delivered,
    Draft,
    Permanent,
    Prepared,
    PrepareError,
    Result,
    Retryable,
    Throttled,
)
from goteo.channels.retry_after import retry_after, throttled_status
from goteo.channels.webhook_targets import (
    Target,
    TargetRefused,
    TargetUnresolved,
    allowed_networks,
    check_target,
)
from goteo.engine.channel_needs import IDEMPOTENCY_KEY

TIMEOUT = 10.0
RETRY_STATUSES = frozenset((408, 425, 429))
CAPABILITIES = frozenset({IDEMPOTENCY_KEY})


def signature(secret: str, body: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def idempotency_key(delivery_id: int) -> str:
    return f"goteo-delivery-{delivery_id}"


# What a webhook receives of the contact: the same fields whatever other channels read (a
# phone number or a postal address is not sent to a CRM unless a step's payload names it).
CONTACT_FIELDS = ("id", "email", "first_name", "last_name", "locale", "timezone", "attributes")


@dataclass(frozen=True)
class WebhookCall:
    url: str
    body: bytes  # the JSON document, exactly as signed and sent
    delivery_id: int

    def headers(self, secret: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "User-Agent": "Goteo-Webhook/1",
            "Idempotency-Key": idempotency_key(self.delivery_id),
            "Goteo-Signature": signature(secret, self.body, int(time.time())),
        }


def encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str).encode()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to now."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the host name as written."""

    def __init__(self, target: Target) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=TIMEOUT, context=self.tls)
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(call: WebhookCall, secret: str) -> Result:
    """POST to a checked public target (``webhook_targets``) and classify the answer."""
    url, delivery_id = call.url, call.delivery_id
    try:
        target = check_target(url, allowed_networks(settings.GOTEO_WEBHOOK_ALLOW))
    except TargetRefused as exc:
        return Permanent(delivery_id, f"{url}: refused: {exc}")
    except TargetUnresolved as exc:
        return Retryable(delivery_id, f"{url}: {exc}")
    connection = _PinnedHTTPS(target) if target.scheme == "https" else _PinnedHTTP(target)
    try:
        connection.request("POST", target.path, body=call.body, headers=call.headers(secret))
        response = connection.getresponse()
        response.read()
        status = response.status
        wait = response.getheader("Retry-After")
    except (http.client.HTTPException, OSError) as exc:
        return Retryable(delivery_id, f"{url}: {exc}")
    finally:
        connection.close()
    if 200 <= status < 300:
        return Delivered(delivery_id, f"HTTP {status}")
    reason = f"HTTP {status} from {url}"
    if throttled_status(status, wait):
        return Throttled(delivery_id, reason, retry_after(wait))
    if 300 <= status < 400:
        return Permanent(delivery_id, f"{reason}: redirects are not followed")
    if status >= 500 or status in RETRY_STATUSES:
        return Retryable(delivery_id, reason)
    return Permanent(delivery_id, reason)


class Poster(Protocol):
    def __call__(self, call: WebhookCall, secret: str) -> Result: ...


@dataclass
class WebhookProvider:
    poster: Poster = post
    name: str = "webhook"
    capabilities: frozenset[str] = CAPABILITIES

    def prepare(self, draft: Draft) -> Prepared:
        url = str(draft.context.get("url") or "")
        if not url:
            raise PrepareError("webhook without a target url")
        contact = {k: draft.contact.get(k) for k in CONTACT_FIELDS}
        payload = {**(draft.context.get("payload") or {}), "contact": contact}
        call = WebhookCall(url, encode(payload), draft.delivery_id)
        return Prepared(draft.delivery_id, call, to_address=url[:320])

    def deliver(self, message: Prepared) -> Result:
        assert isinstance(message.payload, WebhookCall)
        secret = settings.GOTEO_WEBHOOK_SIGNING_SECRET or settings.SECRET_KEY
        return self.poster(message.payload, secret)

    def close(self) -> None:
        pass
