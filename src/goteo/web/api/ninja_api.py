"""The REST API's operations written with Django Ninja: typed (pydantic) requests and
responses, their OpenAPI generated, mounted under ``/api/v1/`` beside the hand-written views.

Ninja's document is merged into the one ``/api/v1/openapi.json`` serves (``web/api/openapi.py``);
Ninja serves no document or docs page of its own. Keys and scopes are the same as every other
operation's (``web/api/auth.py``): ``scoped`` checks and documents them, and a refused
parameter is answered like the rest of the API, 400 with the field named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError
from pydantic import ConfigDict

from goteo.web.api.auth import scope_refusal
from goteo.web.api.errors import error

View = Callable[..., Any]

api = NinjaAPI(
    title="Goteo API", version="1", urls_namespace="ninja", openapi_url=None, docs_url=None
)


class Closed(Schema):
    """A response schema that documents every key its answers hold (additionalProperties:
    false), so a key added to a read model and not here fails the schema tests."""

    model_config = ConfigDict(extra="forbid")


class ApiError(Schema):
    error: str
    fields: dict[str, str]


ERRORS: dict[int, type[Schema]] = {400: ApiError, 401: ApiError, 403: ApiError, 404: ApiError}


def operation(
    method: str,
    path: str,
    scope: str,
    ok: Mapping[int, Any],
    summary: str,
    tag: str,
    errors: tuple[int, ...] = (),
    description: str = "",
    media: str = "",
) -> Callable[[View], View]:
    """A Ninja operation that needs ``scope``, its id from its method and path
    (``get-leads-hot``); ``ok`` maps each success status to its schema (None with ``media``,
    the content type of a 200 answer that is not JSON), ``errors`` names the refusals besides
    401 and 403 (each answered with ``ApiError``)."""
    name = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
    refusals = {status: ApiError for status in sorted({*errors, 401, 403})}
    extra = scoped(scope)
    if media:
        content = {media: {"schema": {"type": "string"}}}
        extra["openapi_extra"]["responses"] = {200: {"content": content}}
    decorate: Callable[[View], View] = api.api_operation(
        [method.upper()],
        path,
        response=dict(ok) | refusals,
        summary=summary,
        description=description or None,
        operation_id=f"{method}-{name}",
        tags=[tag],
        **extra,
    )
    return decorate


class _Refused(Exception):
    def __init__(self, answer: JsonResponse) -> None:
        super().__init__(answer.status_code)
        self.answer = answer


class _Scope:
    """Ninja's ``auth``: the key must hold the scope (401 or 403 otherwise, as everywhere)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope

    def __call__(self, request: HttpRequest) -> bool:
        refused = scope_refusal(request, self.scope)
        if refused is not None:
            raise _Refused(refused)
        return True


def operation_urls() -> tuple[list[URLPattern | URLResolver], str]:
    """The operations' URL patterns, for ``include`` under ``api/v1/``: Ninja's own, less its
    root, which only answers 404 and is needed only to find a prefix the document is given."""
    patterns = [p for p in api.urls[0] if getattr(p, "name", "") != "api-root"]
    return patterns, api.urls_namespace


def scoped(scope: str) -> dict[str, Any]:
    """The keyword arguments of a Ninja operation that needs ``scope``:
    ``@api.get("/reports/over-time", **scoped("reports:read"), response=…)``."""
    return {
        "auth": _Scope(scope),
        "openapi_extra": {"security": [{"apiKey": [scope]}], "x-goteo-scope": scope},
    }


@api.exception_handler(_Refused)
def _answer_refusal(request: HttpRequest, exc: _Refused) -> HttpResponse:
    return exc.answer


@api.exception_handler(ValidationError)
def _answer_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields, places = {}, set()
    for problem in exc.errors:
        loc = [str(part) for part in problem.get("loc", ())]
        places.add(loc[0] if loc else "")
        where = [part for part in loc if part not in ("query", "path")]
        fields[".".join(where) or "request"] = str(problem.get("msg", "not valid"))
    return error(400, "invalid query" if places == {"query"} else "invalid parameters", fields)
