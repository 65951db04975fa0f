"""What ``POST /t/collect`` accepts: one visitor, a few events, perhaps an address.

```json
{"anonymous_id": "3f0c…", "events": [{"id": "9a1b…", "name": "page_view",
  "properties": {"url": "…", "title": "…", "referrer": "…"}}], "email": "ana@example.com"}
```

The body is read as JSON whatever its content type (the snippet sends ``text/plain``, which
needs no CORS preflight). Limits keep one request small: at most ``MAX_BODY`` bytes and
``MAX_EVENTS`` events, each with properties of at most ``MAX_PROPERTIES`` bytes as JSON.
An event that breaks a rule is dropped; the others are kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from goteo.actions.visitors import VISITOR_ID, TrackedEvent
from goteo.engine.parser import SLUG
from goteo.web import strict_json

MAX_BODY = 32 * 1024
MAX_EVENTS = 20
MAX_PROPERTIES = 2048
MAX_EMAIL = 320
EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class BadPayload(ValueError):
    """The body is not a collect request at all."""


@dataclass(frozen=True)
class CollectRequest:
    anonymous_id: str
    events: list[TrackedEvent]
    email: str | None  # identify: this visitor is the person with this address
    dropped: int  # events refused by the rules above


def parse_collect(body: bytes) -> CollectRequest:
    """The checked request, or BadPayload when the body is not one."""
    if len(body) > MAX_BODY:
        raise BadPayload(f"the body is larger than {MAX_BODY} bytes")
    try:
        data = strict_json.loads(body)
    except strict_json.JsonRefused as exc:
        raise BadPayload(f"the body is not JSON that can be stored: {exc}") from None
    if not isinstance(data, dict):
        raise BadPayload("the body is not a JSON object")
    anonymous_id = data.get("anonymous_id")
    if not isinstance(anonymous_id, str) or not VISITOR_ID.match(anonymous_id):
        raise BadPayload("anonymous_id must be 16 to 64 letters, digits, _ or -")
    raw_events = data.get("events", [])
    if not isinstance(raw_events, list):
        raise BadPayload("events must be a list")
    email = data.get("email")
    if email is not None and (not isinstance(email, str) or len(email) > MAX_EMAIL):
        raise BadPayload("email must be an address")
    events = [e for e in (_event(raw) for raw in raw_events[:MAX_EVENTS]) if e is not None]
    return CollectRequest(anonymous_id, events, email, len(raw_events) - len(events))


def _event(raw: Any) -> TrackedEvent | None:
    if not isinstance(raw, dict):
        return None
    name, properties, event_id = raw.get("name"), raw.get("properties", {}), raw.get("id")
    if not isinstance(name, str) or not SLUG.match(name):
        return None
    if not isinstance(properties, dict) or _size(properties) > MAX_PROPERTIES:
        return None
    if event_id is not None and (not isinstance(event_id, str) or not EVENT_ID.match(event_id)):
        return None
    return TrackedEvent(name, properties, event_id)


def _size(value: dict[str, Any]) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
