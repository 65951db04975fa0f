"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of the REST API.

Built from ``goteo.web.api.openapi_registry`` once every view module is imported (the URL
configuration imports them all). Needs no key: it describes the API, it holds no data.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from goteo.web.api import operations as core_operations  # noqa: F401  (registers them)
from goteo.web.api.ninja_api import api as ninja_api
from goteo.web.api.openapi_registry import Operation, error_response, operations, schemas

SECURITY_SCHEME = "apiKey"
URL_TOO_LONG = {"description": "The URL is longer than the server takes (4 KB)"}
DESCRIPTION = (
    "Goteo's REST API. Send `Authorization: Bearer <key>`: the operator's GOTEO_API_KEY "
    "(every scope) or a key made with `goteo api-key create` (its scopes only). A missing, "
    "wrong or revoked key is answered 401; a key without the operation's scope, 403."
)


def build_document() -> dict[str, Any]:
    """The registry's operations and Django Ninja's (``web/api/ninja_api.py``), in one document."""
    import_module(settings.ROOT_URLCONF)  # every view module, so every operation, is loaded
    paths: dict[str, dict[str, Any]] = {}
    for op in operations():
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    ninja = ninja_api.get_openapi_schema(path_prefix="/api/v1")
    for path, methods in ninja["paths"].items():
        for method, op in methods.items():
            responses = {str(status): r for status, r in op["responses"].items()}
            op["responses"] = dict(sorted((responses | {"414": URL_TOO_LONG}).items()))
            paths.setdefault(path, {})[method] = op
    found = schemas() | ninja.get("components", {}).get("schemas", {})
    return {
        "openapi": "3.1.0",
        "info": {"title": "Goteo API", "version": "1", "description": DESCRIPTION},
        "servers": [{"url": settings.BASE_URL.rstrip("/") or "/"}],
        "paths": paths,
        "components": {
            "schemas": found,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key; each operation names the scope it needs.",
                }
            },
        },
    }


def _operation(op: Operation) -> dict[str, Any]:
    name = op.path.removeprefix("/api/v1/").replace("/", "-").replace("{", "").replace("}", "")
    doc: dict[str, Any] = {"operationId": f"{op.method}-{name}", "summary": op.summary}
    if op.description:
        doc["description"] = op.description
    if op.tags:
        doc["tags"] = list(op.tags)
    if op.parameters:
        doc["parameters"] = list(op.parameters)
    if op.request_body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": op.request_body}},
        }
    responses = dict(op.responses)
    responses.setdefault("414", URL_TOO_LONG)
    if op.scope is None:
        doc["security"] = []
    else:
        doc["security"] = [{SECURITY_SCHEME: [op.scope]}]
        doc["x-goteo-scope"] = op.scope
        responses.setdefault("401", error_response("Missing, wrong or revoked API key"))
        responses.setdefault("403", error_response(f"The key lacks the scope {op.scope}"))
    doc["responses"] = dict(sorted(responses.items()))
    return doc


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(build_document(), json_dumps_params={"ensure_ascii": False})
