"""Helpers for the form tests: form and campaign documents, posting, reading the link."""

from __future__ import annotations

import html
import json
import re
from email.message import EmailMessage
from typing import Any

from django.test import Client

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.forms import do_apply_form
from goteo.contacts.models import Form

CONSENT_ES = "Quiero recibir las novedades por correo. Puedo darme de baja cuando quiera."
LINK = re.compile(r'href="([^"]*/c/[^"]+)"')


def form_source(**overrides: Any) -> str:
    """A Spanish double opt-in form for the topic ``news`` (JSON, which YAML reads)."""
    doc: dict[str, Any] = {
        "key": "signup",
        "name": "Novedades",
        "locale": "es",
        "fields": ["email", "first_name"],
        "topics": ["news"],
        "double_opt_in": True,
        "consent": CONSENT_ES,
    }
    doc.update(overrides)
    return json.dumps(doc, ensure_ascii=False, indent=2)


def apply_form(**overrides: Any) -> Form:
    return do_apply_form(form_source(**overrides)).form


NEWS_CAMPAIGN = """\
key: news-welcome
name: News welcome
trigger: {subscribed: news}
steps:
  - send: email
    template: welcome
templates:
  welcome:
    en: {subject: "Welcome, {{ contact.first_name | default: 'friend' }}", html: "<p>Hi</p>"}
    es: {subject: "Bienvenida, {{ contact.first_name | default: 'amiga' }}", html: "<p>Hola</p>"}
"""


def apply_news_campaign() -> None:
    do_apply_campaign(NEWS_CAMPAIGN)


def apply_campaign_for(trigger: str, key: str) -> None:
    do_apply_campaign(NEWS_CAMPAIGN.replace("news-welcome", key).replace("news}", f"{trigger}}}"))


def post(client: Client, path: str, data: dict[str, Any], **headers: str) -> Any:
    return client.post(path, data=data, headers={"User-Agent": "FormTest/1.0", **headers})


def confirm_path(message: EmailMessage) -> str:
    """The path of the confirmation link in a confirmation email."""
    part = message.get_body(("html",))
    assert part is not None
    match = LINK.search(str(part.get_content()))
    assert match is not None, part.get_content()
    url = html.unescape(match.group(1))
    return url[url.index("/c/") :]
