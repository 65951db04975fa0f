"""The API for a person's data rights: export everything about a contact, or erase it.

``GET /api/v1/contacts/<email>/export`` returns the export; ``DELETE /api/v1/contacts/<email>``
erases the contact (other methods on that address are the contact API's,
``contacts.contact_detail``).
Both need the API key. See docs/gdpr.md.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from goteo.actions.errors import ActionError
from goteo.actions.gdpr import do_erase_contact, do_export_contact
from goteo.contacts.fields import normalize_email
from goteo.web.api import contacts
from goteo.web.api.auth import api_scope
from goteo.web.api.errors import error


def _checked(email: str) -> JsonResponse | None:
    try:
        normalize_email(email)
    except ValueError as exc:
        return error(400, "not an email address", {"email": str(exc)})
    return None


@require_GET
@api_scope("contacts:read")
def export_contact(request: HttpRequest, email: str) -> JsonResponse:
    if (refused := _checked(email)) is not None:
        return refused
    try:
        data = do_export_contact(email)
    except ActionError as exc:
        return error(404, exc.message, exc.fields)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def contact(request: HttpRequest, email: str) -> HttpResponse:
    """DELETE erases the contact; every other method is the contact API's."""
    if request.method == "DELETE":
        return erase_contact(request, email)
    return contacts.contact_detail(request, email)


@api_scope("contacts:write")
def erase_contact(request: HttpRequest, email: str) -> JsonResponse:
    if (refused := _checked(email)) is not None:
        return refused
    try:
        do_erase_contact(email)
    except ActionError as exc:
        return error(404, exc.message, exc.fields)
    return JsonResponse({"erased": True, "suppression": "erased"})
