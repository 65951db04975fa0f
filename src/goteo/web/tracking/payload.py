"""What ``POST /t/collect`` accepts: one visitor, a few events, perhaps an address.

```json
{"anonymous_id": "3f0c…", "events": [{"id": "9a1b…", "name": "page_view",
  "properties": {"url": "…", "title": "…", "referrer": "…"}}], "email": "ana@example.com"}
```

The body is read as JSON whatever its content type (the snippet sends ``text/plain``, which
needs no CORS preflight). Limits keep one request small: at most ``MAX_BODY`` bytes and
``MAX_EVENTS`` events, each with properties of at most ``MAX_PROPERTIES`` bytes as JSON.
An event that breaks a rule is dropped, with the reason (``events[2]: …``); the others are
kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from goteo import strict_json
from goteo.actions.visitors import VISITOR_ID, TrackedEvent
from goteo.engine.step_parser import SLUG

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
    dropped: tuple[str, ...]  # why events were refused by the rules above, one reason each


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
    events: list[TrackedEvent] = []
    dropped: list[str] = []
    for i, raw in enumerate(raw_events[:MAX_EVENTS]):
        checked = _event(raw)
        if isinstance(checked, str):
            dropped.append(f"events[{i}]: {checked}")
        else:
            events.append(checked)
    if len(raw_events) > MAX_EVENTS:
        extra = len(raw_events) - MAX_EVENTS
        dropped.append(f"events[{MAX_EVENTS}:]: {extra} past the limit of {MAX_EVENTS} a request")
    return CollectRequest(anonymous_id, events, email, tuple(dropped))


def _event(raw: Any) -> TrackedEvent | str:
    """The event, or why it is refused (never quoting the value: it goes in a header)."""
    if not isinstance(raw, dict):
        return "not an object"
    name, properties, event_id = raw.get("name"), raw.get("properties", {}), raw.get("id")
    if not isinstance(name, str) or not SLUG.match(name):
        return "name must be 1 to 64 lower-case letters, digits, _ or -"
    if not isinstance(properties, dict):
        return "properties must be an object"
    if _size(properties) > MAX_PROPERTIES:
        return f"properties are larger than {MAX_PROPERTIES} bytes as JSON"
    if event_id is not None:
        problem = _id_problem(event_id)
        if problem:
            return problem
    return TrackedEvent(name, properties, event_id)


def _id_problem(event_id: object) -> str:
    if not isinstance(event_id, str):
        return "id must be a string"
    if len(event_id) < 8:
        return "id is shorter than 8 characters"
    if not EVENT_ID.match(event_id):
        return "id must be 8 to 64 letters, digits, _ or -"
    return ""


def _size(value: dict[str, Any]) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
