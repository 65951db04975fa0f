"""The registry the OpenAPI document is built from: one ``Operation`` per path and method.

A module that adds an ``/api/v1`` view registers its operation beside it, at import time::

    from goteo.web.api.openapi_registry import Operation, json_response, register

    register(Operation(
        path="/api/v1/leads/hot", method="get", scope="leads:read",
        summary="Contacts whose score crossed the threshold",
        responses={"200": json_response("The hot leads", {"type": "object", ...})},
    ))

``/api/v1/openapi.json`` serves the result (``goteo.web.api.openapi``); tests/integration/
test_openapi.py checks that every ``/api/v1`` route in urls.py is documented and vice versa.
Shared schemas go in ``register_schema`` and are referred to as ``ref("Name")``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Schema = Mapping[str, Any]
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    path: str  # OpenAPI template: /api/v1/contacts/{email}
    method: str  # lowercase: get, post, delete…
    summary: str
    responses: Mapping[str, Mapping[str, Any]]  # status -> OpenAPI response object
    scope: str | None = None  # the API key scope needed; None: no key
    description: str = ""
    request_body: Schema | None = None  # a JSON body's schema
    parameters: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    tags: Sequence[str] = field(default_factory=tuple)


_OPERATIONS: dict[tuple[str, str], Operation] = {}
_SCHEMAS: dict[str, Schema] = {}


def register(operation: Operation) -> Operation:
    """Add an operation; registering the same path and method again replaces it."""
    if operation.method not in METHODS:
        raise ValueError(f"{operation.method!r}: use one of {', '.join(METHODS)}")
    if not operation.path.startswith("/api/v1/"):
        raise ValueError(f"{operation.path!r} is not under /api/v1/")
    _OPERATIONS[(operation.path, operation.method)] = operation
    return operation


def register_schema(name: str, schema: Schema) -> dict[str, str]:
    """Add a shared schema under components/schemas; return a reference to it."""
    _SCHEMAS[name] = schema
    return ref(name)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def operations() -> list[Operation]:
    return sorted(_OPERATIONS.values(), key=lambda o: (o.path, METHODS.index(o.method)))


def schemas() -> dict[str, Schema]:
    return dict(sorted(_SCHEMAS.items()))


def json_response(description: str, schema: Schema) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_response(description: str) -> dict[str, Any]:
    """A response with the API's error body: a message and field -> message details."""
    return json_response(description, ref("Error"))


def path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def query_parameter(name: str, description: str, schema: Schema) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description} | {
        "schema": schema
    }


register_schema(
    "Error",
    {
        "type": "object",
        "required": ["error", "fields"],
        "properties": {
            "error": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
)
