"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of the REST API, as Django Ninja
generates it from the operations (``web/api/ninja_api.py``), once every operation's module is
imported (the URL configuration imports them all). Needs no key: it describes the API, it
holds no data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from goteo.web.api.ninja_api import api, operation


@operation("get", "/openapi.json", None, {200: dict[str, Any]}, "This document", "meta")
def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(api.get_openapi_schema(), json_dumps_params={"ensure_ascii": False})
