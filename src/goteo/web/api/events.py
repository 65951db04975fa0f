"""``POST /api/v1/events``: one event, or a batch of up to 1,000 (see docs/events-api.md).

A well-formed request answers 200 with one result per item (stored, duplicate or error);
400 when the request as a whole is bad or no item could be taken; 413 when it is too big.

A Django Ninja operation whose body is read and checked here, as before Ninja, and not by
pydantic: the hot path of event ingestion, and its field messages (``check_events``). The
pydantic types below only document it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from django.http import HttpRequest, JsonResponse
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from goteo import strict_json
from goteo.actions.events import (
    ANONYMOUS_ID,
    MAX_ID,
    MAX_KEY_LENGTH,
    MAX_PROPERTIES_BYTES,
    RecordReport,
    check_events,
    do_record_events,
)
from goteo.campaigns import journey_clock
from goteo.web.api.errors import error
from goteo.web.api.ninja_api import Closed, operation
from goteo.web.http.query import whole_number

MAX_BATCH = 1000
# A full batch with every event's properties at their limit, and room for the JSON around them
# (read here, not through request.body, whose limit is DATA_UPLOAD_MAX_MEMORY_SIZE).
MAX_BODY_BYTES = 10 * 1024 * 1024
Count = Annotated[int, Field(ge=0)]
WHO: dict[str, Any] = {
    "anyOf": [{"required": [k]} for k in ("email", "contact_id", "anonymous_id")]
}


@with_config(ConfigDict(extra="forbid", json_schema_extra=WHO))
class Event(TypedDict):
    """One event: its name, and who did it (an email, a contact id or an anonymous id)."""

    name: Annotated[str, Field(pattern="^[a-z0-9][a-z0-9_-]{0,63}$")]
    email: NotRequired[Annotated[str, Field(description="An unknown address creates the contact")]]
    contact_id: NotRequired[Annotated[int, Field(ge=1, le=MAX_ID)]]
    anonymous_id: NotRequired[
        Annotated[str, Field(pattern=ANONYMOUS_ID.pattern.replace(r"\Z", "$"))]
    ]
    properties: NotRequired[
        Annotated[
            dict[str, Any], Field(description=f"At most {MAX_PROPERTIES_BYTES} bytes as JSON")
        ]
    ]
    timestamp: NotRequired[Annotated[datetime, Field(description="With a UTC offset; default now")]]
    idempotency_key: NotRequired[Annotated[str, Field(min_length=1, max_length=MAX_KEY_LENGTH)]]


@with_config(ConfigDict(extra="forbid"))
class EventBatch(TypedDict):
    events: Annotated[list[Event], Field(min_length=1, max_length=MAX_BATCH)]


@with_config(ConfigDict(extra="forbid"))
class EventResult(TypedDict):
    index: Count
    status: Literal["stored", "duplicate", "error"]
    id: NotRequired[Annotated[int, Field(description="The stored event's id")]]
    fields: NotRequired[dict[str, str]]


class EventResults(Closed):
    stored: Count
    duplicates: Count
    errors: Count
    results: list[EventResult] = Field(description="One result per item, in order")


@with_config(ConfigDict(extra="forbid"))
class EventsRefused(TypedDict):
    """Not JSON, not an event or batch, or no item could be taken: the error, and the
    results when the items were read."""

    error: str
    fields: dict[str, str]
    stored: NotRequired[Count]
    duplicates: NotRequired[Count]
    errors: NotRequired[Count]
    results: NotRequired[list[EventResult]]


@operation(
    "post",
    "/events",
    "events:write",
    {200: EventResults, 400: EventsRefused},
    "Record one event, or a batch of up to 1,000",
    "events",
    errors=(413,),
    description=(
        "Each item is stored, a duplicate (its idempotency_key was seen before: nothing "
        "is stored or triggered again) or an error (field -> message). Valid items are "
        "stored even when others in the batch are refused. 413: more than 1,000 events, or "
        "a body over 10 MiB. See docs/events-api.md."
    ),
    body=Event | EventBatch,
)
def events(request: HttpRequest) -> JsonResponse:
    length = str(request.META.get("CONTENT_LENGTH") or "0")
    if whole_number(length, 0, MAX_BODY_BYTES) is None:
        return error(413, "the request is too large", {"body": f"at most {MAX_BODY_BYTES} bytes"})
    try:
        data = strict_json.loads(request.read() or b"null")
    except strict_json.JsonRefused as exc:
        return error(400, "the body is not JSON that can be stored", {"body": str(exc)})
    if not isinstance(data, dict):
        return error(400, "the body must be a JSON object", {"body": 'expected {"name": …}'})
    batch = "events" in data
    items = data["events"] if batch else [data]
    if batch and (set(data) != {"events"} or not isinstance(items, list) or not items):
        return error(400, "invalid batch", {"events": 'a non-empty list: {"events": [{…}, …]}'})
    if len(items) > MAX_BATCH:
        return error(413, "too many events", {"events": f"at most {MAX_BATCH} per request"})
    now = journey_clock.now()
    inputs, errors = check_events(items, now)
    valid = [i for i in inputs if i is not None]
    report = do_record_events(valid, now) if valid else RecordReport([], [], [], {})
    positions = [n for n, i in enumerate(inputs) if i is not None]
    results = _results(len(items), errors, positions, report)
    body = _summary(results)
    failed = {n: r["fields"] for n, r in enumerate(results) if r["status"] == "error"}
    if failed and len(failed) == len(items):
        fields = {
            (f"events[{n}].{k}" if batch else k): v
            for n, problems in failed.items()
            for k, v in problems.items()
        }
        message = "invalid event" if not batch else "no event could be taken"
        return JsonResponse({"error": message, "fields": fields} | body, status=400)
    return JsonResponse(body, status=200)


def _results(
    count: int, refused: dict[int, dict[str, str]], positions: list[int], report: RecordReport
) -> list[dict[str, Any]]:
    """One result per request item, with its index; ``positions`` maps recorded inputs to
    request indexes."""
    results: list[dict[str, Any]] = [{"index": n} for n in range(count)]
    for n, fields in refused.items():
        results[n].update(status="error", fields=fields)
    for fact, n in zip(report.stored, report.stored_indexes, strict=True):
        results[positions[n]].update(status="stored", id=fact.id)
    for n in report.duplicates:
        results[positions[n]]["status"] = "duplicate"
    for n, fields in report.errors.items():
        results[positions[n]].update(status="error", fields=fields)
    return results


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {"stored": 0, "duplicate": 0, "error": 0}
    for result in results:
        counts[result["status"]] += 1
    return {
        "stored": counts["stored"],
        "duplicates": counts["duplicate"],
        "errors": counts["error"],
        "results": results,
    }
