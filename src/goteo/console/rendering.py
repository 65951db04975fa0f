"""Rendering a web app page: the navigation, the user's role and what it may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from goteo.accounts.roles import can_edit, can_manage, role_of

# (URL name, label, admins only)
NAVIGATION = (
    ("console:dashboard", _("Dashboard"), False),
    ("console:campaigns", _("Campaigns"), False),
    ("console:contacts", _("Contacts"), False),
    ("console:forms", _("Forms"), False),
    ("console:results", _("Results"), False),
    ("console:outbox", _("Outbox"), False),
    ("console:audit", _("Audit"), False),
    ("console:users", _("Users"), True),
)


def show(
    request: HttpRequest, template: str, context: dict[str, Any], *, section: str, status: int = 200
) -> HttpResponse:
    role = role_of(request.user)
    items = [
        {"url": reverse(name), "label": label, "current": name == f"console:{section}"}
        for name, label, admins in NAVIGATION
        if not admins or can_manage(role)
    ]
    extra = {"nav": items, "role": role, "may_edit": can_edit(role), "may_manage": can_manage(role)}
    return render(request, template, context | extra, status=status)
