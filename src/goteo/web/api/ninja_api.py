"""The REST API's operations, written with Django Ninja: typed (pydantic) requests and
responses, their OpenAPI generated, mounted under ``/api/v1/``.

``/api/v1/openapi.json`` (``web/api/openapi.py``) serves Ninja's document (``Document``: Ninja's
own, with the key scheme, the servers and the 414 every operation may answer); Ninja serves no
docs page. Keys and scopes are checked and documented by ``operation`` (``web/api/auth.py``
decides), and a refused parameter is answered like the rest of the API, 400 with the field
named. A JSON body that a view parses itself (with ``goteo.strict_json``, so that its messages
stay its own) is documented from the pydantic type given as ``operation(body=…)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.operation import Operation
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import ConfigDict, TypeAdapter

from goteo.web.api.auth import scope_refusal
from goteo.web.api.errors import error

View = Callable[..., Any]
PREFIX = "/api/v1"
SECURITY_SCHEME = "apiKey"
URL_TOO_LONG = {"description": "The URL is longer than the server takes (4 KB)"}
UNREADABLE = {  # answered before any view by web/http/request_guard.py
    "description": "A parameter holds a NUL character, or is given more than once",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
}
DESCRIPTION = (
    "Goteo's REST API. Send `Authorization: Bearer <key>`: the operator's GOTEO_API_KEY "
    "(every scope) or a key made with `goteo api-key create` (its scopes only). A missing, "
    "wrong or revoked key is answered 401; a key without the operation's scope, 403."
)


class Document(OpenAPISchema):
    """Ninja's OpenAPI document of ``api``, with what Goteo's API adds to every one: the
    bearer key scheme, the server (``GOTEO_BASE_URL``), the 414 answer to a URL over 4 KB
    and, where there are parameters, the 400 to one that cannot be read, and the request
    bodies views parse themselves."""

    def __init__(self, api: NinjaAPI, path_prefix: str) -> None:
        super().__init__(api, path_prefix)
        self["servers"] = [{"url": settings.BASE_URL.rstrip("/") or "/"}]
        self["components"]["schemas"] = dict(sorted(self.schemas.items()))
        self["components"]["securitySchemes"] = {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "An API key; each operation names the scope it needs.",
            }
        }

    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details: dict[str, Any] = super().operation_details(operation)
        shared: dict[int, Any] = {414: URL_TOO_LONG}
        if details["parameters"]:
            shared[400] = UNREADABLE
        details["responses"] = dict(sorted((shared | details["responses"]).items()))
        return details

    def request_body(self, operation: Operation) -> dict[str, Any]:
        body = getattr(operation.view_func, "documented_body", None)
        if body is None:
            found: dict[str, Any] = super().request_body(operation)
            return found
        schema = TypeAdapter(body).json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema
        )
        self.add_schema_definitions(schema.pop("$defs", {}))
        return {"required": True, "content": {"application/json": {"schema": schema}}}


class GoteoApi(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        return Document(self, PREFIX if path_prefix is None else path_prefix)


api = GoteoApi(
    title="Goteo API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="ninja",
    openapi_url=None,
    docs_url=None,
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
    scope: str | None,
    ok: Mapping[int, Any],
    summary: str,
    tag: str | tuple[str, ...],
    errors: tuple[int, ...] = (),
    description: str = "",
    media: str = "",
    body: Any = None,
) -> Callable[[View], View]:
    """A Ninja operation that needs ``scope`` (None: no key), its id from its method and path
    (``get-leads-hot``); ``ok`` maps each status to its schema (None with ``media``, the
    content type of a 200 answer that is not JSON), ``errors`` names the refusals besides 401
    and 403 answered with ``ApiError``; ``body`` is the pydantic type that documents a JSON
    body the view parses itself."""
    name = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
    refused = () if scope is None else (401, 403)
    refusals = {status: ApiError for status in sorted({*errors, *refused})}
    extra = scoped(scope) if scope else {"auth": None, "openapi_extra": {"security": []}}
    if media:
        content = {media: {"schema": {"type": "string"}}}
        extra["openapi_extra"]["responses"] = {200: {"content": content}}
    register = api.api_operation(
        [method.upper()],
        path,
        response=dict(ok) | refusals,
        summary=summary,
        description=description or None,
        operation_id=f"{method}-{name}",
        tags=[tag] if isinstance(tag, str) else list(tag),
        **extra,
    )

    def decorate(view: View) -> View:
        if body is not None:
            view.documented_body = body  # type: ignore[attr-defined]
        registered: View = register(view)
        return registered

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
