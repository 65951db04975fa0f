"""Who may see and do what in the web app: signed-in users only, and mutating views by role.

Every view is wrapped by ``page`` (reading: any role) or ``change`` (a POST by a role allowed
to make it). A change made by the view's actions is audited as the signed-in user.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from goteo.accounts.roles import can_edit, can_manage, role_of
from goteo.actions.audit import acting_as

View = Callable[..., HttpResponseBase]  # a page, a redirect or a streamed download


def actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def _signed_in(view: View, allowed: Callable[[str | None], bool]) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        role = role_of(request.user)
        if role is None:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not allowed(role):
            return render(request, "console/forbidden.html", {"role": role}, status=403)
        with acting_as(actor(request)):
            return view(request, *args, **kwargs)

    return never_cache(wrapped)


def page(view: View) -> View:
    """A page any signed-in user may read."""
    return _signed_in(require_GET(view), lambda role: True)


def admin_page(view: View) -> View:
    """A page only an admin may read (users, API keys)."""
    return _signed_in(require_GET(view), can_manage)


def edit(view: View) -> View:
    """A POST that changes campaigns, messages, contacts or forms: admins and editors."""
    return _signed_in(require_POST(view), can_edit)


def manage(view: View) -> View:
    """A POST that changes users, API keys or settings: admins only."""
    return _signed_in(require_POST(view), can_manage)
