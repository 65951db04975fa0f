"""Public form pages: the hosted form, the embed endpoint, the confirmation link.

The hosted form (``/f/<key>``) is protected against cross-site posts with Django's CSRF
cookie and token. The embed endpoint (``/f/<key>/submit``) takes posts from other sites, so
it relies on the honeypot field and the rate limits instead. The confirmation link
(``/c/<token>``) only asks on GET (link scanners fetch links); the POST confirms.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from goteo.actions.confirming import Confirmed, check_confirm, do_confirm
from goteo.actions.forms import do_submit_form
from goteo.contacts.models import Form
from goteo.contacts.tokens import preference_token
from goteo.forms.definition import definition_of_source
from goteo.web.http.client_ip import client_ip
from goteo.web.public.form_page import form_context
from goteo.web.public.texts import language_for, texts
from goteo.web.tracking.snippet import merge_visitor_of

FORM_PATH = re.compile(r"^/f/([^/]+)")


def _form(key: str) -> Form | None:
    return Form.objects.select_related("consent_text").filter(key=key).first()


def _not_found(request: HttpRequest) -> HttpResponse:
    language = language_for(accept_language=request.headers.get("Accept-Language", ""))
    t = texts(language)
    context = {"lang": language, "t": t, "name": t["not_found"], "fields": []}
    return render(request, "goteo/form.html", context, status=404)


@csrf_protect
@require_http_methods(["GET", "POST"])
def hosted_form(request: HttpRequest, key: str) -> HttpResponse:
    """The form as a page of its own; it posts back here, with the CSRF token."""
    form = _form(key)
    if form is None:
        return _not_found(request)
    if request.method == "POST":
        return _submit(request, form, action=request.path, with_csrf=True)
    context = form_context(form, action=request.path, with_csrf=True)
    return render(request, "goteo/form.html", context)


@csrf_exempt
@require_POST
def embedded_submit(request: HttpRequest, key: str) -> HttpResponse:
    """Where the embeddable snippet posts, from any site."""
    form = _form(key)
    if form is None:
        return _not_found(request)
    return _submit(request, form, action=request.path, with_csrf=False)


def _submit(request: HttpRequest, form: Form, *, action: str, with_csrf: bool) -> HttpResponse:
    data = {name: request.POST.getlist(name) for name in request.POST}
    outcome = do_submit_form(
        form,
        data,
        client_ip(request),
        request.headers.get("User-Agent", ""),
        timezone.now(),
    )
    if outcome.status in ("invalid", "limited"):
        context = form_context(
            form, action=action, with_csrf=with_csrf, values=data, errors=outcome.errors
        )
        key = "fix_errors" if outcome.status == "invalid" else "limited"
        context["notice"] = context["t"][key]
        status = 400 if outcome.status == "invalid" else 429
        return render(request, "goteo/form.html", context, status=status)
    if outcome.contact is not None:  # the browser's tracked visits become the contact's
        merge_visitor_of(request, outcome.contact.id)
    definition = definition_of_source(form.source)
    if definition.redirect:
        return HttpResponseRedirect(definition.redirect, status=303)
    state = "pending" if definition.double_opt_in else "subscribed"
    t = texts(definition.locale, definition)
    context = {
        "lang": definition.locale.split("-")[0],
        "title": t[f"{state}_title"],
        "body": t[f"{state}_body"],
    }
    return render(request, "goteo/form_done.html", context)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a Confirm button and changes nothing; POST confirms the subscription."""
    now = timezone.now()
    result = do_confirm(token, now) if request.method == "POST" else check_confirm(token)
    return _confirm_page(request, result)


def _confirm_page(request: HttpRequest, result: Confirmed) -> HttpResponse:
    consent = result.consent
    contact = consent.contact if consent is not None else None
    form = consent.form if consent is not None else None
    definition = definition_of_source(form.source) if form else None
    language = language_for(
        contact.locale if contact else None,
        form.locale if form else None,
        accept_language=request.headers.get("Accept-Language", ""),
        form=definition,
    )
    t = texts(language, definition)
    state = result.status
    titles = {"valid": "confirm_title", "confirmed": "confirmed_title", "already": "already_title"}
    bodies = {"confirmed": "confirmed_body", "expired": "expired_body", "invalid": "invalid_body"}
    context = {
        "lang": language,
        "t": t,
        "state": state,
        "title": t[titles.get(state, f"{state}_title")],
        "body": t.get(bodies.get(state, f"{state}_body"), ""),
    }
    if state == "valid":
        context["body"] = t["confirm_body"].replace("{name}", form.name if form else "")
    if state in ("confirmed", "already") and contact is not None:
        context["preferences_url"] = f"/p/{preference_token(contact.id)}"
    if state == "expired" and form is not None:
        context |= {"form_url": f"/f/{form.key}", "form_name": form.name}
    return render(request, "goteo/confirm.html", context, status=404 if state == "invalid" else 200)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal, worded for the person filling in the form."""
    match = FORM_PATH.match(request.path)
    form = _form(match.group(1)) if match else None
    definition = definition_of_source(form.source) if form else None
    language = language_for(
        form.locale if form else None,
        accept_language=request.headers.get("Accept-Language", ""),
        form=definition,
    )
    t = texts(language, definition)
    context = {"lang": language, "title": t["csrf_title"], "body": t["csrf_body"]}
    return render(request, "goteo/form_done.html", context, status=403)
