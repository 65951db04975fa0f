"""The website tracking snippet (``GET /t.js``) and where it sends events (``/t/collect``).

Pages on the sites listed in GOTEO_TRACKING_ORIGINS (and on this server itself) may send;
a request from any other origin is refused with 403 and no CORS headers, so a browser shows
the page nothing. A request with ``DNT: 1`` or ``Sec-GPC: 1`` is answered 204 and dropped.
Accepted requests are answered 204 too, with no body: identifying an address tells the page
nothing about that person. What was dropped, and why, is said in a ``Goteo-Dropped`` header
(which the snippet ignores) and logged at INFO; never whether an address is known.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from goteo.actions.visitors import VISITOR_ID, do_collect, do_identify, do_merge_visitor
from goteo.campaigns import journey_clock
from goteo.web.http.client_ip import client_ip
from goteo.web.tracking.payload import BadPayload, parse_collect

log = logging.getLogger(__name__)

SNIPPET = Path(__file__).with_name("static_js") / "t.js"
COOKIE = "_goteo_aid"  # the snippet's first-party cookie; also a hidden field in forms
# Per client address and web process, per minute: requests to /t/collect, and identifies
# (each may create a contact).
REQUESTS_PER_MINUTE, IDENTIFIES_PER_MINUTE = 300, 10
DROPPED = "Goteo-Dropped"  # the response header that says what was dropped and why
MAX_DROPPED_HEADER = 1000  # characters of reasons in that header; the log has them all


@cache
def _snippet() -> tuple[bytes, str]:
    body = SNIPPET.read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:16]}"'


@require_http_methods(["GET", "HEAD"])
def snippet(request: HttpRequest) -> HttpResponse:
    """The snippet: plain JavaScript, cached by browsers and proxies for an hour."""
    body, etag = _snippet()
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def allowed_origin(request: HttpRequest) -> str | None:
    """The request's Origin when it may send events; None when it may not."""
    origin = request.headers.get("Origin", "").rstrip("/")
    allowed = {o.lower() for o in settings.GOTEO_TRACKING_ORIGINS}
    allowed |= {_origin_of(settings.BASE_URL), _origin_of(request.build_absolute_uri("/"))}
    if origin and (origin.lower() in allowed or "*" in allowed):
        return origin
    return None


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.netloc else ""


def _cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    response["Vary"] = "Origin"
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = DROPPED
    return response


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def collect(request: HttpRequest) -> HttpResponse:
    origin = allowed_origin(request)
    if request.headers.get("Origin") and origin is None:
        return _cors(HttpResponse("origin not allowed\n", status=403), None)
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        return _cors(response, origin)
    return _cors(_collect(request), origin)


def _collect(request: HttpRequest) -> HttpResponse:
    for header in ("DNT", "Sec-GPC"):
        if request.headers.get(header) == "1":
            return _dropped(HttpResponse(status=204), [f"everything: the request has {header}: 1"])
    ip = client_ip(request) or "unknown"
    if _over_limit(f"goteo:t:{ip}", REQUESTS_PER_MINUTE):
        return HttpResponse("too many requests\n", status=429)
    try:
        payload = parse_collect(request.body)
    except BadPayload as exc:
        return HttpResponse(f"{exc}\n", status=400)
    now = journey_clock.now()
    dropped = list(payload.dropped)
    if payload.email is not None:
        if _over_limit(f"goteo:id:{ip}", IDENTIFIES_PER_MINUTE):
            dropped.append(f"email: over {IDENTIFIES_PER_MINUTE} identifies a minute from here")
        else:
            do_identify(payload.anonymous_id, payload.email, now)
    if do_collect(payload.anonymous_id, payload.events, now).limited:
        return HttpResponse("too many events\n", status=429)
    return _dropped(HttpResponse(status=204), dropped)


def _dropped(response: HttpResponse, reasons: list[str]) -> HttpResponse:
    """Say what was dropped and why: in the ``Goteo-Dropped`` header, and in the log."""
    if reasons:
        text = "; ".join(reasons)
        log.info("/t/collect dropped %s", text)
        if len(text) > MAX_DROPPED_HEADER:
            text = text[: MAX_DROPPED_HEADER - 3] + "..."
        response[DROPPED] = text
    return response


def _over_limit(key: str, limit: int) -> bool:
    """A fixed one-minute window in Django's cache (per process, unless a shared cache is
    configured)."""
    shared_cache.add(key, 0, timeout=60)
    try:
        return shared_cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        shared_cache.set(key, 1, timeout=60)
        return False


def visitor_of(request: HttpRequest) -> str | None:
    """The visitor id a browser carries: the snippet's cookie, or the hidden form field the
    snippet adds to Goteo forms on other sites."""
    for value in (request.POST.get(COOKIE), request.COOKIES.get(COOKIE)):
        if value and VISITOR_ID.match(value):
            return value
    return None


def merge_visitor_of(request: HttpRequest, contact_id: int) -> None:
    """After a form submission: the browser's visitor history becomes the contact's."""
    anonymous_id = visitor_of(request)
    if anonymous_id is not None:
        do_merge_visitor(anonymous_id, contact_id, journey_clock.now())
