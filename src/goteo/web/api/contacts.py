"""Contacts in the API: ``GET /api/v1/contacts`` lists those matching a condition, a page at
a time; ``POST`` on the same path creates or updates one by email; ``GET
/api/v1/contacts/<email>`` is one contact's card.

The filter is the condition language of segments (docs/conditions.md), given as JSON (or
YAML) in ``where``. A person's data rights (export, erasure) are ``gdpr``. The upsert's body
is read with ``goteo.strict_json`` and checked by the actions, whose messages it answers with;
``ContactUpsert`` documents it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Field, P, PathEx, Query, Schema
from pydantic import ConfigDict, WithJsonSchema, with_config
from typing_extensions import TypedDict

from goteo import strict_json
from goteo.actions.contact_card import contact_card
from goteo.actions.contact_list import MAX_LIMIT, list_contacts
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.errors import ActionError
from goteo.actions.sms_consent import (
    check_sms_choice,
    grant_sms_consent,
    withdraw_sms_consent,
)
from goteo.actions.subscriptions import do_subscribe
from goteo.campaigns import journey_clock
from goteo.campaigns.exposure_counts import contact_exposures
from goteo.campaigns.pace_report import contact_pacing
from goteo.contacts.fields import READ_ONLY, normalize_email
from goteo.contacts.models import ContactStatus
from goteo.engine.step_parser import SLUG
from goteo.web.api.errors import error
from goteo.web.api.ninja_api import Closed, operation
from goteo.web.api.reports import Standing

CONTACT_FIELDS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "locale",
    "timezone",
    "phone",
    "status",
    "sms_consent",
    "attributes",
    "postal_address",
    "created_at",
    "updated_at",
)
Count = Annotated[int, Field(ge=0)]
Email = PathEx[str, P(description="The contact's email address")]


@with_config(
    ConfigDict(
        json_schema_extra={
            "description": "Checked per country; {} clears it. CSV columns: address_name, "
            "address_line1-3, address_city, address_postal_code, address_region, "
            "address_country"
        }
    )
)
class PostalAddress(TypedDict, total=False):
    name: str
    lines: Annotated[list[str], Field(max_length=3)]
    city: str
    postal_code: str
    region: str
    country: Annotated[str, Field(description="ISO 3166 alpha-2, like PL")]


class ContactFields(Closed):
    """What every answer about a contact holds (its postal address aside)."""

    id: int
    email: str
    first_name: str
    last_name: str
    locale: str
    timezone: str
    phone: str = Field(description="E.164, or empty")
    status: ContactStatus
    sms_consent: Literal["", "granted", "withdrawn"]
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Contact(ContactFields):
    postal_address: PostalAddress


class Upserted(Contact):
    enrolled: dict[str, Count] = Field(description="Per campaign, the journeys it began")


class SmsOptIn(TypedDict):
    text: str
    ip: NotRequired[Annotated[str, Field(description="Where they agreed from")]]


@with_config(ConfigDict(extra="allow"))
class ContactUpsert(TypedDict):
    """Keys other than these become attributes, as in CSV imports."""

    email: str
    first_name: NotRequired[str]
    last_name: NotRequired[str]
    locale: NotRequired[str]
    timezone: NotRequired[str]
    phone: NotRequired[
        Annotated[
            str, Field(description="Stored in E.164; without +, read in GOTEO_DEFAULT_REGION")
        ]
    ]
    attributes: NotRequired[dict[str, Any]]
    sms_opt_in: NotRequired[
        Annotated[
            SmsOptIn,
            Field(
                description="The contact agreed to SMS: the words they agreed to, and from where"
            ),
        ]
    ]
    sms_opt_out: NotRequired[Annotated[bool, Field(description="true withdraws SMS consent")]]
    postal_address: NotRequired[PostalAddress]
    subscribe: NotRequired[
        Annotated[
            str | list[str],
            Field(description="List keys to subscribe to (their campaigns enroll the contact)"),
        ]
    ]


class ListedContact(ContactFields):
    tags: list[str]
    score: float = Field(description="The current (decayed) lead score")
    owner: str = Field(description="The salesperson's email; empty: nobody")


class ContactPage(Closed):
    contacts: list[ListedContact]
    next_cursor: str | None = Field(description="The next page's cursor; null on the last")


class ContactsQuery(Schema):
    """Given to ``list_contacts`` as they come, so that it names what it refuses."""

    where: Annotated[str | None, WithJsonSchema({"type": "string"})] = Field(
        None, description="A condition, as JSON"
    )
    limit: Annotated[
        str | None, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT})
    ] = Field(None, description=f"At most this many (1-{MAX_LIMIT}, default 50)")
    cursor: Annotated[str | None, WithJsonSchema({"type": "string"})] = Field(
        None, description="The next_cursor of the previous page"
    )


class Consent(Closed):
    form: str | None
    topics: list[str]
    source: str
    ip: str | None
    user_agent: str
    consent_version: str | None
    consent_text: str | None
    submitted_at: datetime
    confirmed_at: datetime | None


class Journey(Closed):
    id: int
    campaign: str
    version: int
    status: Literal["active", "completed", "exited", "converted"]
    step: str | None = Field(description="The step it runs next")
    steps_run: list[str]
    variant: str
    enrolled_at: datetime
    due_at: datetime | None
    ended_at: datetime | None
    end_reason: str


class ContactExposures(Closed):
    total: Count
    by_channel: dict[str, Count]
    by_kind: dict[str, Count]
    last_at: str | None = Field(description="The latest exposure so far")


class Paced(Standing):
    campaign: str


class ContactDetail(ListedContact):
    postal_address: PostalAddress
    hot_at: datetime | None
    paused_until: datetime | None
    soft_bounces: Count
    consents: list[Consent]
    subscriptions: list[str]
    journeys: list[Journey]
    exposures: ContactExposures
    pacing: list[Paced] = Field(description="How each paced journey stands")


@operation(
    "get",
    "/contacts",
    "contacts:read",
    {200: ContactPage},
    "Contacts matching a condition, oldest first, a page at a time",
    "contacts",
    errors=(400,),
    description=(
        "`where` is a condition of the segment language (docs/conditions.md) as JSON, "
        'such as {"locale": "es", "score": {"gte": 50}}; without it, every contact. '
        "Pass the answer's next_cursor as `cursor` for the next page; it is null on the "
        "last page."
    ),
)
def listing(request: HttpRequest, query: Query[ContactsQuery]) -> JsonResponse:
    try:
        page = list_contacts(
            query.where,
            "50" if query.limit is None else query.limit,
            query.cursor,
            journey_clock.now(),
        )
    except ActionError as exc:
        return error(400, exc.message, exc.fields)
    return JsonResponse(
        {"contacts": page.contacts, "next_cursor": page.next_cursor},
        json_dumps_params={"ensure_ascii": False},
    )


@operation(
    "post",
    "/contacts",
    "contacts:write",
    {200: Upserted, 201: Upserted},
    "Create a contact, or update the one with this email",
    "contacts",
    errors=(400,),
    description="Keys other than these become attributes, as in CSV imports. 200: updated; "
    "201: created.",
    body=ContactUpsert,
)
def upsert(request: HttpRequest) -> JsonResponse:
    try:
        data = strict_json.loads(request.body or b"null")
    except strict_json.JsonRefused as exc:
        return error(400, "the body is not JSON that can be stored", {"body": str(exc)})
    if not isinstance(data, dict):
        return error(400, "the body must be a JSON object", {"body": 'expected {"email": …}'})
    unknown = {k for k in data if k in READ_ONLY}
    if unknown:
        return error(400, "read-only fields", {k: "cannot be set here" for k in sorted(unknown)})
    topics = data.pop("subscribe", [])
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list) or not all(
        isinstance(t, str) and SLUG.match(t) for t in topics
    ):
        return error(400, "invalid contact", {"subscribe": 'a list of list keys, like ["news"]'})
    sms_opt_in, sms_opt_out = data.pop("sms_opt_in", None), data.pop("sms_opt_out", None)
    try:
        opt_in = check_sms_choice(sms_opt_in, sms_opt_out)
        with transaction.atomic():  # the contact and its SMS consent, or neither
            result = do_upsert_contact(data)
            if opt_in is not None:
                grant_sms_consent(result.contact, "api", opt_in.text, timezone.now(), opt_in.ip)
            elif sms_opt_out:
                withdraw_sms_consent(result.contact, "api", timezone.now())
    except ActionError as exc:
        return error(400, exc.message, exc.fields)
    enrolled: dict[str, int] = {}
    for topic in topics:
        for key, report in do_subscribe([result.contact.id], topic, timezone.now()).items():
            enrolled[key] = enrolled.get(key, 0) + report.enrolled
    body = {k: getattr(result.contact, k) for k in CONTACT_FIELDS} | {"enrolled": enrolled}
    return JsonResponse(body, status=201 if result.created else 200)


def refused_email(email: str) -> JsonResponse | None:
    """The 400 answer to a path's address that is not one; None when it is."""
    try:
        normalize_email(email)
    except ValueError as exc:
        return error(400, "not an email address", {"email": str(exc)})
    return None


@operation(
    "get",
    "/contacts/{email}",
    "contacts:read",
    {200: ContactDetail},
    "One contact: fields, score, subscriptions, consents, journeys, exposures",
    "contacts",
    errors=(400, 404),
)
def contact_detail(request: HttpRequest, email: Email) -> JsonResponse:
    if (refused := refused_email(email)) is not None:
        return refused
    try:
        card = contact_card(email, journey_clock.now())
    except ActionError as exc:
        return error(404, exc.message, exc.fields)
    now = journey_clock.now()
    extra = {"exposures": contact_exposures(card.id, now), "pacing": contact_pacing(card.id, now)}
    return JsonResponse(card.as_json() | extra, json_dumps_params={"ensure_ascii": False})
