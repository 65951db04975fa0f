"""Helpers for the web app tests: users of each role, signed-in clients, a campaign."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from tests.integration.flow_helpers import apply, simple_template

from goteo.actions.users import do_create_user

PASSWORD = "a-long-test-password-42"


def make_user(role: str, email: str | None = None) -> User:
    return do_create_user(email or f"{role}@example.com", PASSWORD, role)


def signed_in(role: str, email: str | None = None) -> Client:
    """A client signed in through the login page (the session and CSRF are the real ones)."""
    user = make_user(role, email)
    client = Client()
    response = client.post("/app/login", {"email": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def apply_campaign(key: str = "welcome") -> None:
    apply(key, [{"send": "email", "template": "hello"}], {"hello": simple_template("Hello")})
