"""Signing in and out, choosing the language, and resetting a forgotten password."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from goteo.actions.errors import ActionError
from goteo.actions.password_reset import do_request_password_reset
from goteo.actions.sign_in import do_note_failed_login, login_limited
from goteo.actions.users import do_set_password
from goteo.console.reset_links import user_of_link
from goteo.web.http.client_ip import client_ip


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target.startswith("/app/") else reverse("console:dashboard")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    context = {"next": _next(request), "email": ""}
    if request.method == "GET":
        return render(request, "console/login.html", context)
    email = request.POST.get("email", "").strip().lower()
    ip, now = client_ip(request), timezone.now()
    context["email"] = email
    if login_limited(ip, email, now):
        context["error"] = "limited"
        return render(request, "console/login.html", context, status=429)
    user = authenticate(request, username=email, password=request.POST.get("password", ""))
    if user is None:
        do_note_failed_login(ip, email, now)
        context["error"] = "wrong"
        return render(request, "console/login.html", context, status=401)
    login(request, user)  # a new session key and a new CSRF secret
    return HttpResponseRedirect(context["next"])


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("console:login"))


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Remember the chosen language in a cookie scoped to /app/, like the session."""
    chosen = request.POST.get("language", "")
    response = HttpResponseRedirect(_next(request))
    if chosen in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=365 * 86400,
            path=settings.LANGUAGE_COOKIE_PATH,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite="Lax",
        )
    return response


def _link(request: HttpRequest) -> Callable[[User], str]:
    def link(user: User) -> str:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        path = reverse("console:password-set", args=[uid, token])
        return f"{settings.BASE_URL}{path}"

    return link


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; the answer is the same whether the address has an account."""
    if request.method == "GET":
        return render(request, "console/password_reset.html", {})
    email = request.POST.get("email", "")
    ip, now = client_ip(request), timezone.now()
    if login_limited(ip, email, now):
        return render(request, "console/password_reset.html", {"error": "limited"}, status=429)
    do_note_failed_login(ip, email, now)  # each request counts towards the same limit
    do_request_password_reset(email, _link(request), now, translation.get_language() or "en")
    return render(request, "console/password_reset_sent.html", {"email": email})


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def password_set(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    user = user_of_link(uid, token)
    if user is None:
        return render(request, "console/password_set.html", {"invalid": True}, status=400)
    if request.method == "GET":
        return render(request, "console/password_set.html", {})
    password = request.POST.get("password", "")
    if password != request.POST.get("password2", ""):
        context = {"errors": {"password2": "mismatch"}}
        return render(request, "console/password_set.html", context, status=400)
    try:
        do_set_password(user, password)
    except ActionError as exc:
        return render(request, "console/password_set.html", {"errors": exc.fields}, status=400)
    return HttpResponseRedirect(reverse("console:login") + "?reset=1")
