"""``POST /api/v1/events``: one event, or a batch of up to 1,000 (see docs/events-api.md).

A well-formed request answers 200 with one result per item (stored, duplicate or error);
400 when the request as a whole is bad or no item could be taken; 413 when it is too big.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from goteo import strict_json
from goteo.actions.events import RecordReport, check_events, do_record_events
from goteo.campaigns import journey_clock
from goteo.web.api.auth import api_scope
from goteo.web.api.errors import error
from goteo.web.http.query import whole_number

MAX_BATCH = 1000
# A full batch with every event's properties at their limit, and room for the JSON around them
# (read here, not through request.body, whose limit is DATA_UPLOAD_MAX_MEMORY_SIZE).
MAX_BODY_BYTES = 10 * 1024 * 1024


@require_http_methods(["POST"])
@api_scope("events:write")
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
