"""Public pages reached from emails: the unsubscribe link (GET asks, POST acts; RFC 8058)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from goteo.actions.contacts import do_set_status
from goteo.contacts.models import Contact, ContactStatus
from goteo.contacts.tokens import contact_from_unsubscribe_token


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a confirmation (link scanners fetch links); POST unsubscribes.

    The POST needs no cookie and no CSRF token, so mailbox providers' one-click
    ``List-Unsubscribe-Post`` works; the signed token is the authority.
    """
    contact_id = contact_from_unsubscribe_token(token)
    contact = Contact.objects.filter(id=contact_id).first() if contact_id is not None else None
    if contact is None:
        return render(request, "goteo/unsubscribe.html", {"state": "invalid"}, status=404)
    if request.method == "POST":
        if contact.status == ContactStatus.ACTIVE:
            do_set_status(contact.email, ContactStatus.UNSUBSCRIBED)
        return render(request, "goteo/unsubscribe.html", {"state": "done"})
    state = "already" if contact.status == ContactStatus.UNSUBSCRIBED else "confirm"
    return render(request, "goteo/unsubscribe.html", {"state": state})
