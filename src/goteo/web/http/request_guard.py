"""Refuse, before any view runs, a NUL character in the path, the query or a posted form, and
under ``/api/`` a query parameter given more than once (no API parameter is a list, so which
value was meant cannot be known). The sign-up forms (``/f/``) are the exception for posted
fields: their page answers a control character in a field with that field's own message, in
the form's language (``actions/forms.py`` checks every field it stores).

PostgreSQL cannot hold a NUL in text, not even as a query parameter, so such a request could
only fail later; it is answered 400 at once, naming where the NUL was (JSON with the API's
error body under ``/api/``, plain text elsewhere). JSON bodies are checked where they are read
(``goteo.strict_json``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.datastructures import MultiValueDict

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
SIGN_UP_FORMS = "/f/"


def _repeated(request: HttpRequest) -> str | None:
    if not request.path.startswith("/api/"):
        return None
    return next((key for key, values in request.GET.lists() if len(values) > 1), None)


def _where(request: HttpRequest) -> str | None:
    if "\x00" in request.path:
        return "path"
    places: list[MultiValueDict[str, str]] = [request.GET]
    if (
        request.method == "POST"
        and request.content_type in FORMS
        and not request.path.startswith(SIGN_UP_FORMS)
    ):
        request.body  # noqa: B018 (kept, so the view can still read the body after the form)
        places.append(request.POST)
    for place in places:
        for key, values in place.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "\\0") or "(a field without a name)"
    return None


class RefuseUnreadableRequests:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where, message = _where(request), "must not contain a NUL character"
        if where is None:  # (a form Django cannot parse is its own 400)
            where, message = _repeated(request), "is given more than once"
        if where is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"error": "bad request", "fields": {where: message}}, status=400)
        text = f"{where}: {message}\n"
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
