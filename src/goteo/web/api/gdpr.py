"""The API for a person's data rights: export everything about a contact, or erase it.

``GET /api/v1/contacts/<email>/export`` returns the export; ``DELETE /api/v1/contacts/<email>``
erases the contact (``GET`` on that address is the contact's card, ``contacts.contact_detail``).
Both need the API key. See docs/gdpr.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse
from pydantic import create_model

from goteo.actions.errors import ActionError
from goteo.actions.gdpr import do_erase_contact, do_export_contact
from goteo.actions.gdpr_sections import SECTIONS
from goteo.web.api.contacts import Email, refused_email
from goteo.web.api.errors import error
from goteo.web.api.ninja_api import Closed, operation

Rows = list[dict[str, Any]]


class ExportedCard(Closed):
    exported_at: datetime
    contact: dict[str, Any]
    suppression: dict[str, Any] | None
    other: dict[str, Any]
    subscriptions: Rows
    consents: Rows
    journeys: Rows


# The card's parts and one list of rows per section the export reads (``gdpr_sections``).
Export = create_model(
    "Export",
    __base__=ExportedCard,
    **{name: (Rows, ...) for name, _ in SECTIONS.values()},  # type: ignore[call-overload]
)


class Erased(Closed):
    erased: Literal[True]
    suppression: Literal["erased"]


@operation(
    "get",
    "/contacts/{email}/export",
    "contacts:read",
    {200: Export},
    "Everything stored about a contact (the right of access)",
    ("contacts", "gdpr"),
    errors=(400, 404),
)
def export_contact(request: HttpRequest, email: Email) -> JsonResponse:
    if (refused := refused_email(email)) is not None:
        return refused
    try:
        data = do_export_contact(email)
    except ActionError as exc:
        return error(404, exc.message, exc.fields)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@operation(
    "delete",
    "/contacts/{email}",
    "contacts:write",
    {200: Erased},
    "Erase a contact and everything about them; the address stays suppressed",
    ("contacts", "gdpr"),
    errors=(400, 404),
)
def erase_contact(request: HttpRequest, email: Email) -> JsonResponse:
    if (refused := refused_email(email)) is not None:
        return refused
    try:
        do_erase_contact(email)
    except ActionError as exc:
        return error(404, exc.message, exc.fields)
    return JsonResponse({"erased": True, "suppression": "erased"})
