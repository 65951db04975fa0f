"""``/``: what this server is, links that answer, no cookie."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def links(html: str) -> dict[str, str]:
    return dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', html))


def test_the_start_page_says_what_this_server_is_and_links_what_it_serves(client: Client) -> None:
    with override_settings(GOTEO_OUTBOX_PAGE=False):
        response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not response.cookies and "Set-Cookie" not in response.headers
    html = response.content.decode()
    assert "This is a Goteo server: a self-hostable drip-marketing engine." in html
    assert links(html) == {"/healthz": "Health check", "/api/v1/openapi.json": "API document"}
    for href in links(html):
        assert client.get(href).status_code == 200, href
    assert client.post("/").status_code == 405


def test_the_outbox_is_linked_when_it_is_on(client: Client) -> None:
    with override_settings(GOTEO_OUTBOX_PAGE=True):
        html = client.get("/").content.decode()
        assert links(html)["/outbox"] == "Outbox"
        assert client.get("/outbox").status_code == 200
