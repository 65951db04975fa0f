"""Sessions, sign-in, language and CSRF for ``/app/`` only.

Each is Django's own middleware, run for web app requests and skipped for every other
request: the public pages (unsubscribe, preferences, forms, tracking, webhooks) never read or
set a session, language or CSRF cookie. The web app keeps its CSRF secret in the session
rather than in a cookie of its own, so it has one cookie, scoped to ``/app/``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_SESSION_KEY, CsrfViewMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

PREFIX = "/app/"
Handler = Callable[[HttpRequest], HttpResponse]


def in_console(request: HttpRequest) -> bool:
    return request.path_info.startswith(PREFIX)


class _ConsoleOnly:
    """Runs ``inner`` (a Django middleware class) for web app requests only."""

    inner: type[Any]

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.wrapped = self.inner(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not in_console(request):
            return self.get_response(request)
        response: HttpResponse = self.wrapped(request)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        step = getattr(self.wrapped, "process_view", None)
        if step is None or not in_console(request):
            return None
        result: HttpResponse | None = step(request, view, args, kwargs)
        return result


class ConsoleSessionMiddleware(_ConsoleOnly):
    inner = SessionMiddleware


class ConsoleAuthenticationMiddleware(_ConsoleOnly):
    inner = AuthenticationMiddleware


class ConsoleLocaleMiddleware(_ConsoleOnly):
    """The language chosen in the web app (a cookie under /app/), else the browser's."""

    inner = LocaleMiddleware

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().__call__(request)
        finally:
            translation.deactivate()  # the next request in this process starts afresh


class SessionCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF checks, with the secret kept in the session (Django's own
    ``CSRF_USE_SESSIONS`` would move the public form pages' secret there too)."""

    def _get_secret(self, request: HttpRequest) -> str | None:
        secret = request.session.get(CSRF_SESSION_KEY)
        return None if secret is None else str(secret)

    def _set_csrf_cookie(self, request: HttpRequest, response: HttpResponse) -> None:
        token = request.META["CSRF_COOKIE"]
        if request.session.get(CSRF_SESSION_KEY) != token:
            request.session[CSRF_SESSION_KEY] = token


class ConsoleCsrfMiddleware(_ConsoleOnly):
    inner = SessionCsrfMiddleware
