"""The API's error answer: a message and field -> message details, with the status."""

from __future__ import annotations

from django.http import JsonResponse


def error(status: int, message: str, fields: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse({"error": message, "fields": fields or {}}, status=status)
