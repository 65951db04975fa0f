"""What a form page shows: its fields, topics, consent text and honeypot, in its language.

The same partial template makes the hosted page (``/f/<key>``) and the embeddable snippet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from goteo.contacts.models import Form
from goteo.forms import address_fields
from goteo.forms.definition import POSTAL, FormDefinition, definition_of_source
from goteo.web.public.texts import country_name, language_name, texts

INPUTS = {
    "email": ("email", "email"),
    "first_name": ("text", "given-name"),
    "last_name": ("text", "family-name"),
    "phone": ("tel", "tel"),
}


def _posted(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def form_context(
    form: Form,
    *,
    action: str,
    with_csrf: bool,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The template context for a form; ``errors`` are codes, worded here."""
    definition: FormDefinition = definition_of_source(form.source)
    t = texts(definition.locale, definition)
    values, errors = values or {}, errors or {}
    fields = []
    for name in definition.fields:
        if name == POSTAL:
            fields += _address(definition, t, values, errors)
            continue
        kind, autocomplete = INPUTS.get(name, ("select", "language"))
        value = _posted(values, name) or (definition.locale if name == "locale" else "")
        error = t.get(errors.get(name, ""), "") if name in errors else ""
        fields.append(
            {"name": name, "label": t[name], "type": kind, "value": value, "error": error}
            | {"autocomplete": autocomplete, "required": name == "email"}
        )
    chosen = values.get("topics") or []
    topics = [
        {"key": topic.key, "label": topic.label, "checked": topic.key in chosen}
        for topic in definition.topics
    ]
    return {
        "lang": definition.locale.split("-")[0],
        "t": t,
        "name": definition.name,
        "intro": definition.intro,
        "action": action,
        "with_csrf": with_csrf,
        "fields": fields,
        "languages": [(code, language_name(code)) for code in definition.language_choices],
        "topics": topics if len(topics) > 1 else [],
        "topics_error": t["no_topic"] if "topics" in errors else "",
        "consent": definition.consent,
        "consent_checkbox": definition.consent_checkbox,
        "agree_error": t["consent_required"] if "agree" in errors else "",
        "consent_version": form.consent_text.version if form.consent_text else "",
        "sms_consent": definition.sms_consent,
        "sms_checked": bool(_posted(values, "sms_agree")),
    }


def _address(
    definition: FormDefinition,
    t: Mapping[str, str],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The inputs of a postal address, for the form's countries (the country as a menu of
    their names in the form's language)."""
    language = definition.locale.split("-")[0]
    chosen = _posted(values, address_fields.COUNTRY).upper() or definition.countries[0]
    countries = [
        (code, country_name(code, language), code == chosen) for code in definition.countries
    ]
    return [
        {
            "name": name,
            "label": t[name],
            "type": "text",
            "value": _posted(values, name),
            "error": t.get(errors[name], "") if name in errors else "",
            "autocomplete": address_fields.AUTOCOMPLETE[name],
            "required": required,
            "options": countries if name == address_fields.COUNTRY else [],
        }
        for name, required in address_fields.shown(definition.countries)
    ]


def snippet_html(form: Form) -> str:
    """An HTML ``<form>`` to paste into any page; it posts to ``/f/<key>/submit``."""
    action = f"{settings.BASE_URL}/f/{form.key}/submit"
    context = form_context(form, action=action, with_csrf=False)
    return render_to_string("goteo/form_fields.html", context).strip() + "\n"
