"""The preference centre (``/p/<token>``): topics, language, a pause, text messages (a contact
who agreed to SMS can stop them here), unsubscribe from all.

No login: the signed token in the link is the authority. GET only shows; every change is a
POST.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from goteo.actions.preferences import (
    PAUSES,
    do_pause,
    do_set_locale,
    do_set_topics,
    do_unsubscribe_everything,
)
from goteo.actions.sms_consent import do_stop_sms
from goteo.contacts.channel_consent import may_send_sms
from goteo.contacts.models import Contact, ContactStatus, Form, Subscription
from goteo.contacts.tokens import contact_from_preference_token
from goteo.forms.definition import definition_of_source
from goteo.web.public.texts import LANGUAGES, language_for, language_name, long_date, texts


def topic_labels() -> dict[str, str]:
    """Every topic a form offers (and every form key), with the label its form gives."""
    labels: dict[str, str] = {}
    for form in Form.objects.order_by("key"):
        for topic in definition_of_source(form.source).topics:
            labels.setdefault(topic.key, topic.label)
    for key, name in Form.objects.order_by("key").values_list("key", "name"):
        labels.setdefault(key, name)
    return labels


def _context(contact: Contact, language: str, message: str = "") -> dict[str, Any]:
    t = texts(language)
    have = set(Subscription.objects.filter(contact=contact).values_list("topic", flat=True))
    labels = topic_labels()
    offered = [k for k in labels if k in have or k in _form_topics()] + sorted(have - set(labels))
    languages = list(LANGUAGES)
    if contact.locale and contact.locale not in languages:
        languages.append(contact.locale)
    paused = (
        contact.paused_until
        if contact.paused_until and contact.paused_until > timezone.now()
        else None
    )
    return {
        "lang": language,
        "t": t,
        "email": contact.email,
        "message": message,
        "unsubscribed": contact.status not in (ContactStatus.ACTIVE, ContactStatus.UNCONFIRMED),
        "topics": [{"key": k, "label": labels.get(k, k), "checked": k in have} for k in offered],
        "languages": [(code, language_name(code)) for code in languages],
        "current_locale": contact.locale or language,
        "paused_until": t["paused_until"].format(date=long_date(paused, language))
        if paused
        else "",
        "sms": t["prefs_sms"].format(phone=contact.phone) if may_send_sms(contact) else "",
    }


def _form_topics() -> set[str]:
    return {t for topics in Form.objects.values_list("topics", flat=True) for t in topics}


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    contact_id = contact_from_preference_token(token)
    contact = Contact.objects.filter(id=contact_id).first() if contact_id is not None else None
    accept = request.headers.get("Accept-Language", "")
    if contact is None:
        language = language_for(accept_language=accept)
        t = texts(language)
        context = {"lang": language, "t": t, "title": t["invalid_title"], "body": t["invalid_body"]}
        return render(request, "goteo/confirm.html", context | {"state": "invalid"}, status=404)
    message = ""
    if request.method == "POST":
        message = _apply(request, contact)
    language = language_for(contact.locale, accept_language=accept)
    return render(request, "goteo/preferences.html", _context(contact, language, message))


def _apply(request: HttpRequest, contact: Contact) -> str:
    """Apply the posted changes; returns the message to show."""
    now = timezone.now()
    if request.POST.get("action") == "unsubscribe":
        do_unsubscribe_everything(contact, now)
        return ""
    if contact.status not in (ContactStatus.ACTIVE, ContactStatus.UNCONFIRMED):
        return ""
    offered = set(topic_labels()) | set(
        Subscription.objects.filter(contact=contact).values_list("topic", flat=True)
    )
    do_set_topics(contact, request.POST.getlist("topics"), offered, now)
    locale = request.POST.get("locale", "")
    if locale in LANGUAGES or (locale and locale == contact.locale):
        do_set_locale(contact, locale)
    pause = request.POST.get("pause", "")
    if pause in PAUSES:
        do_pause(contact, pause, now)
    elif pause == "resume":
        do_pause(contact, None, now)
    if request.POST.get("sms_shown") and not request.POST.get("sms") and may_send_sms(contact):
        do_stop_sms(contact, now)
    return texts(language_for(contact.locale))["saved"]
