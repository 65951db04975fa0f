"""The web app's doors: cookie-free public pages, the session cookie, CSRF, the sign-in rate
limit, and what each role may do (every mutating view, posted to directly)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from tests.integration.console_helpers import PASSWORD, apply_campaign, make_user, signed_in
from tests.integration.form_helpers import apply_form

from goteo.accounts.models import AuditEntry
from goteo.accounts.roles import role_of
from goteo.campaigns.models import Campaign

pytestmark = pytest.mark.django_db

PUBLIC = [
    ("get", "/"),
    ("get", "/healthz"),
    ("get", "/u/not-a-token"),
    ("post", "/u/not-a-token"),
    ("get", "/p/not-a-token"),
    ("get", "/c/not-a-token"),
    ("get", "/l/not-a-token"),
    ("get", "/o/not-a-token"),
    ("get", "/t.js"),
    ("post", "/t/collect"),
    ("post", "/f/newsletter/submit"),
    ("post", "/webhooks/postmark/tracking/"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/static/console/console.css"),
    ("get", "/static/console/vendor/htmx-2.0.11/htmx.min.js"),
]


@pytest.mark.parametrize("signed", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_public_pages_set_no_cookie(method: str, path: str, signed: bool) -> None:
    """Not even for a browser that holds the web app's session (the test client sends every
    cookie it has, whatever its path): the public pages never see it."""
    apply_form(key="newsletter")
    client = signed_in("viewer") if signed else Client()
    response = getattr(client, method)(path)
    response.close()  # a static file is streamed
    assert response.status_code < 500, (path, response.status_code)
    if path.startswith("/static/"):  # the web app's own files, served without a CDN
        assert response.status_code == 200, path
    assert not response.cookies, (path, response.cookies)
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", ""), path
    assert response.status_code != 403, path  # no CSRF check but their own


def test_the_hosted_form_keeps_only_its_own_csrf_cookie(client: Client) -> None:
    """The hosted form page protects its post with Django's CSRF cookie, as before the web
    app: no session, no language cookie, nothing scoped to /app/."""
    apply_form(key="newsletter")
    response = client.get("/f/newsletter")
    assert response.status_code == 200
    assert set(response.cookies) <= {"csrftoken"}
    assert all(c["path"] == "/" for c in response.cookies.values())


def test_the_session_cookie_is_scoped_to_the_app_and_not_readable_by_scripts() -> None:
    make_user("admin")
    client = Client()
    response = client.post("/app/login", {"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert set(response.cookies) == {"goteo_app"}  # the CSRF secret lives in the session
    cookie = response.cookies["goteo_app"]
    assert cookie["path"] == "/app/"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # http://testserver; see the next test for https


def test_cookies_are_secure_when_the_base_url_is_https() -> None:
    code = (
        "from django.conf import settings as s; import django; django.setup();"
        "print(s.SESSION_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    env = os.environ | {
        "GOTEO_BASE_URL": "https://goteo.example.com",
        "DJANGO_SETTINGS_MODULE": "goteo.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True", "True"]


def test_a_post_without_the_csrf_token_is_refused() -> None:
    make_user("admin")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/app/login", {"email": "admin@example.com", "password": PASSWORD})
    assert response.status_code == 403
    page = client.get("/app/login").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    data = {"email": "admin@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token}
    assert client.post("/app/login", data).status_code == 302


def test_pages_need_a_signed_in_user(client: Client) -> None:
    response = client.get("/app/campaigns")
    assert response.status_code == 302
    assert response["Location"] == "/app/login?next=/app/campaigns"


@override_settings(GOTEO_LOGIN_LIMIT_PER_USER=3, GOTEO_LOGIN_LIMIT_PER_IP=100)
def test_sign_in_is_limited_per_username() -> None:
    make_user("admin")
    client = Client()
    for _ in range(3):
        response = client.post("/app/login", {"email": "admin@example.com", "password": "no"})
        assert response.status_code == 401
    right = {"email": "admin@example.com", "password": PASSWORD}
    response = client.post("/app/login", right)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert client.get("/app/").status_code == 302  # not signed in
    other = make_user("viewer")  # another username from the same address still signs in
    response = client.post("/app/login", {"email": other.username, "password": PASSWORD})
    assert response.status_code == 302


@override_settings(GOTEO_LOGIN_LIMIT_PER_USER=100, GOTEO_LOGIN_LIMIT_PER_IP=3)
def test_sign_in_is_limited_per_address() -> None:
    make_user("admin")
    client = Client()
    for n in range(3):
        client.post("/app/login", {"email": f"guess{n}@example.com", "password": "no"})
    right = {"email": "admin@example.com", "password": PASSWORD}
    assert client.post("/app/login", right).status_code == 429
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert elsewhere.post("/app/login", right).status_code == 302


def _console_routes() -> list[str]:
    resolver = get_resolver()
    console = next(p for p in resolver.url_patterns if str(p.pattern) == "app/")
    assert isinstance(console, URLResolver)
    return [str(p.pattern) for p in console.url_patterns if isinstance(p, URLPattern)]


# Views anyone may post to: they sign in or out, choose a language or reset a password.
OPEN = {"login", "logout", "language", "password-reset", "password-reset/<str:uid>/<str:token>"}


def _path(pattern: str) -> str:
    return "/app/" + re.sub(r"<int:\w+>", "1", pattern.replace("<str:key>", "welcome"))


def test_a_viewer_changes_nothing_by_posting_to_any_view() -> None:
    apply_campaign()
    client = signed_in("viewer")
    make_user("editor")
    before = AuditEntry.objects.count()
    posts = {
        "campaigns/<str:key>/status": {"status": "paused", "reason": "viewer"},
        "users/role": {"email": "editor@example.com", "role": "admin"},
    }
    routes = [r for r in _console_routes() if r not in OPEN]
    assert set(posts) <= set(routes)
    for route in routes:
        response = client.post(_path(route), posts.get(route, {}))
        assert response.status_code in (403, 405), (route, response.status_code)
    assert Campaign.objects.get(key="welcome").status == "active"
    assert role_of(User.objects.get(username="editor@example.com")) == "editor"
    assert AuditEntry.objects.count() == before
    page = client.get("/app/campaigns/welcome").content.decode()
    assert "Pause" not in page


def test_an_editor_pauses_campaigns_but_cannot_manage_users() -> None:
    apply_campaign()
    client = signed_in("editor")
    make_user("viewer")
    response = client.post("/app/campaigns/welcome/status", {"status": "paused"})
    assert response.status_code == 302
    assert Campaign.objects.get(key="welcome").status == "paused"
    assert client.get("/app/users").status_code == 403
    change = {"email": "viewer@example.com", "role": "admin"}
    assert client.post("/app/users/role", change).status_code == 403
    assert role_of(User.objects.get(username="viewer@example.com")) == "viewer"
    assert "/app/users" not in client.get("/app/").content.decode()


def test_an_admin_changes_a_role() -> None:
    client = signed_in("admin")
    make_user("viewer")
    response = client.post("/app/users/role", {"email": "viewer@example.com", "role": "editor"})
    assert response.status_code == 302
    assert role_of(User.objects.get(username="viewer@example.com")) == "editor"
    refused = client.post("/app/users/role", {"email": "viewer@example.com", "role": "owner"})
    assert refused.status_code == 400
    shown = "invalid role: role: &#x27;owner&#x27;: use admin, editor, viewer"
    assert shown in refused.content.decode()
    entry = AuditEntry.objects.get(action="user.role")
    assert (entry.actor, entry.before, entry.after) == (
        "user:admin@example.com",
        {"role": "viewer"},
        {"role": "editor"},
    )


def test_sign_out_ends_the_session() -> None:
    client = signed_in("viewer")
    assert client.get("/app/").status_code == 200
    assert client.get("/app/logout").status_code == 405  # only a POST signs out
    assert client.post("/app/logout").status_code == 302
    assert client.get("/app/").status_code == 302
