"""The webhook channel: POST a JSON document, signed, with an idempotency key.

A 2xx answer is delivered; 408, 429 and 5xx, timeouts and connection failures are retried;
any other 4xx is permanent (the receiver refuses it; sending it again would not help).
The signature lets the receiver check the body came from us and is fresh:
``Goteo-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from goteo.channels.base import Delivered, Permanent, Result, Retryable

TIMEOUT = 10.0
RETRY_STATUSES = frozenset((408, 425, 429))


def signature(secret: str, body: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def post_json(url: str, payload: Mapping[str, Any], *, secret: str, delivery_id: int) -> Result:
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Goteo-Webhook/1",
            "Idempotency-Key": f"goteo-delivery-{delivery_id}",
            "Goteo-Signature": signature(secret, body, int(time.time())),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Delivered(delivery_id, f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        reason = f"HTTP {exc.code} from {url}"
        if exc.code >= 500 or exc.code in RETRY_STATUSES:
            return Retryable(delivery_id, reason)
        return Permanent(delivery_id, reason)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return Retryable(delivery_id, f"{url}: {exc}")
