"""Users and their roles (admins only). New users come from ``goteo user create``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from goteo.accounts.roles import ROLES
from goteo.actions.errors import ActionError
from goteo.actions.users import do_set_role, user_rows
from goteo.console.access import admin_page, manage
from goteo.console.rendering import show


def _page(request: HttpRequest, error: ActionError | None = None) -> HttpResponse:
    context = {"rows": user_rows(), "roles": ROLES, "error": error}
    status = 200 if error is None else 400
    return show(request, "console/users.html", context, section="users", status=status)


@admin_page
def users(request: HttpRequest) -> HttpResponse:
    return _page(request)


@manage
def set_role(request: HttpRequest) -> HttpResponse:
    try:
        do_set_role(request.POST.get("email", ""), request.POST.get("role", ""))
    except ActionError as exc:
        return _page(request, exc)
    return HttpResponseRedirect(reverse("console:users"))
