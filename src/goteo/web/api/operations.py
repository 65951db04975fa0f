"""The OpenAPI description of the endpoints not yet written with Django Ninja: contacts,
events, and the document itself."""

from __future__ import annotations

from typing import Any

from goteo.actions.events import ANONYMOUS_ID, MAX_ID, MAX_KEY_LENGTH
from goteo.contacts.models import ContactStatus
from goteo.web.api.openapi_registry import (
    Operation,
    error_response,
    json_response,
    path_parameter,
    ref,
    register,
    register_schema,
)

TEXT: dict[str, Any] = {"type": "string"}
WHEN: dict[str, Any] = {"type": "string", "format": "date-time"}
MAYBE_WHEN: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}


def object_schema(
    required: list[str], properties: dict[str, Any], closed: bool = True
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": required, "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    return schema


POSTAL = {
    "type": "object",
    "description": "Checked per country; {} clears it. CSV columns: address_name, "
    "address_line1-3, address_city, address_postal_code, address_region, address_country",
    "properties": {
        "name": TEXT,
        "lines": {"type": "array", "items": TEXT, "maxItems": 3},
        "city": TEXT,
        "postal_code": TEXT,
        "region": TEXT,
        "country": {"type": "string", "description": "ISO 3166 alpha-2, like PL"},
    },
}
CONTACT = {
    "id": {"type": "integer"},
    "email": TEXT,
    "first_name": TEXT,
    "last_name": TEXT,
    "locale": TEXT,
    "timezone": TEXT,
    "phone": TEXT | {"description": "E.164, or empty"},
    "status": {"type": "string", "enum": list(ContactStatus.values)},
    "sms_consent": {"type": "string", "enum": ["", "granted", "withdrawn"]},
    "attributes": {"type": "object"},
    "postal_address": POSTAL,
    "created_at": WHEN,
    "updated_at": WHEN,
}
register_schema(
    "Event",
    {
        "type": "object",
        "required": ["name"],
        "additionalProperties": False,
        "anyOf": [{"required": [k]} for k in ("email", "contact_id", "anonymous_id")],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
            "email": {"type": "string", "description": "An unknown address creates the contact"},
            "contact_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "anonymous_id": {"type": "string", "pattern": ANONYMOUS_ID.pattern.replace(r"\Z", "$")},
            "properties": {"type": "object", "description": "At most 8 KiB as JSON"},
            "timestamp": WHEN | {"description": "With a UTC offset; default now"},
            "idempotency_key": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        },
    },
)
EVENT_RESULT = object_schema(
    ["index", "status"],
    {
        "index": COUNT,
        "status": {"type": "string", "enum": ["stored", "duplicate", "error"]},
        "id": {"type": "integer", "description": "The stored event's id"},
        "fields": {"type": "object", "additionalProperties": TEXT},
    },
)
RESULTS = {
    "stored": COUNT,
    "duplicates": COUNT,
    "errors": COUNT,
    "results": {"type": "array", "items": ref("EventResult")},
}
register_schema("EventResult", EVENT_RESULT)
register_schema("EventResults", object_schema(list(RESULTS), RESULTS))
REFUSED = {"error": TEXT, "fields": {"type": "object", "additionalProperties": TEXT}} | RESULTS
register_schema("EventsRefused", object_schema(["error", "fields"], REFUSED))

register(
    Operation(
        path="/api/v1/events",
        method="post",
        scope="events:write",
        tags=("events",),
        summary="Record one event, or a batch of up to 1,000",
        description=(
            "Each item is stored, a duplicate (its idempotency_key was seen before: nothing "
            "is stored or triggered again) or an error (field -> message). Valid items are "
            "stored even when others in the batch are refused. See docs/events-api.md."
        ),
        request_body={
            "oneOf": [
                ref("Event"),
                object_schema(
                    ["events"],
                    {
                        "events": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 1000,
                            "items": ref("Event"),
                        }
                    },
                ),
            ]
        },
        responses={
            "200": json_response("One result per item, in order", ref("EventResults")),
            "400": json_response(
                "Not JSON, not an event or batch, or no item could be taken",
                ref("EventsRefused"),
            ),
            "413": error_response("More than 1,000 events, or a body over 10 MiB"),
        },
    )
)

CONSENT = {
    "form": {"type": ["string", "null"]},
    "topics": {"type": "array", "items": TEXT},
    "source": TEXT,
    "ip": {"type": ["string", "null"]},
    "user_agent": TEXT,
    "consent_version": {"type": ["string", "null"]},
    "consent_text": {"type": ["string", "null"]},
    "submitted_at": WHEN,
    "confirmed_at": MAYBE_WHEN,
}
UPSERT = {
    "email": TEXT,
    "first_name": TEXT,
    "last_name": TEXT,
    "locale": TEXT,
    "timezone": TEXT,
    "phone": TEXT | {"description": "Stored in E.164; without +, read in GOTEO_DEFAULT_REGION"},
    "attributes": {"type": "object"},
    "sms_opt_in": {
        "type": "object",
        "required": ["text"],
        "properties": {"text": TEXT, "ip": TEXT},
        "description": "The contact agreed to SMS: the words they agreed to, and from where",
    },
    "sms_opt_out": {"type": "boolean", "description": "true withdraws SMS consent"},
    "postal_address": POSTAL,
    "subscribe": {
        "description": "List keys to subscribe to (their campaigns enroll the contact)",
        "oneOf": [TEXT, {"type": "array", "items": TEXT}],
    },
}
UPSERTED_FIELDS = CONTACT | {"enrolled": {"type": "object", "additionalProperties": COUNT}}
UPSERTED = object_schema(list(UPSERTED_FIELDS), UPSERTED_FIELDS)
register(
    Operation(
        path="/api/v1/contacts",
        method="post",
        scope="contacts:write",
        tags=("contacts",),
        summary="Create a contact, or update the one with this email",
        description="Keys other than these become attributes, as in CSV imports.",
        request_body=object_schema(["email"], UPSERT, closed=False),
        responses={
            "200": json_response("Updated", UPSERTED),
            "201": json_response("Created", UPSERTED),
            "400": error_response("Invalid fields"),
        },
    )
)
EMAIL = path_parameter("email", "The contact's email address")
COUNTS = {"type": "object", "additionalProperties": COUNT}
EXPOSURES = {
    "total": COUNT,
    "by_channel": COUNTS,
    "by_kind": COUNTS,
    "last_at": {"type": ["string", "null"], "description": "The latest exposure so far"},
}
LEAD = {
    "tags": {"type": "array", "items": TEXT},
    "score": {"type": "number", "description": "The current (decayed) lead score"},
    "owner": {"type": "string", "description": "The salesperson's email; empty: nobody"},
}
LISTED = {k: v for k, v in CONTACT.items() if k != "postal_address"} | LEAD
CONTACT_LISTED = object_schema(list(LISTED), LISTED)
JOURNEY = {
    "id": {"type": "integer"},
    "campaign": TEXT,
    "version": {"type": "integer"},
    "status": {"type": "string", "enum": ["active", "completed", "exited", "converted"]},
    "step": {"type": ["string", "null"], "description": "The step it runs next"},
    "steps_run": {"type": "array", "items": TEXT},
    "variant": TEXT,
    "enrolled_at": WHEN,
    "due_at": MAYBE_WHEN,
    "ended_at": MAYBE_WHEN,
    "end_reason": TEXT,
}
# How a paced journey stands (docs/exposure-pacing.md#reports).
STANDING = {
    "target": {"type": "string", "examples": ["29 exposures within 90d (email, mail, sms)"]},
    "began_at": WHEN,
    "ends_at": WHEN,
    "expected": {"type": "number", "description": "Exposures an even pace has reached by now"},
    "actual": {"type": "integer", "description": "Exposures counted as the plan counts them"},
    "status": {"type": "string", "enum": ["on pace", "ahead", "behind"]},
    "touches": COUNTS,
}
PACED = STANDING | {"campaign": TEXT}
DETAIL_FIELDS = LISTED | {
    "postal_address": POSTAL,
    "hot_at": MAYBE_WHEN,
    "paused_until": MAYBE_WHEN,
    "soft_bounces": COUNT,
    "consents": {"type": "array", "items": object_schema(list(CONSENT), CONSENT)},
    "subscriptions": {"type": "array", "items": TEXT},
    "journeys": {"type": "array", "items": object_schema(list(JOURNEY), JOURNEY)},
    "exposures": object_schema(list(EXPOSURES), EXPOSURES),
    "pacing": {"type": "array", "items": object_schema(list(PACED), PACED)},
}
DETAIL = object_schema(list(DETAIL_FIELDS), DETAIL_FIELDS)
register(
    Operation(
        path="/api/v1/contacts/{email}",
        method="get",
        scope="contacts:read",
        tags=("contacts",),
        summary="One contact: fields, score, subscriptions, consents, journeys, exposures",
        parameters=(EMAIL,),
        responses={
            "200": json_response("The contact", DETAIL),
            "400": error_response("Not an email address"),
            "404": error_response("No such contact"),
        },
    )
)
register(
    Operation(
        path="/api/v1/contacts/{email}",
        method="delete",
        scope="contacts:write",
        tags=("contacts", "gdpr"),
        summary="Erase a contact and everything about them; the address stays suppressed",
        parameters=(EMAIL,),
        responses={
            "200": json_response(
                "Erased",
                object_schema(
                    ["erased", "suppression"],
                    {"erased": {"const": True}, "suppression": {"const": "erased"}},
                ),
            ),
            "400": error_response("Not an email address"),
            "404": error_response("No such contact"),
        },
    )
)
EXPORT_LISTS = (
    "subscriptions", "consents", "journeys", "deliveries", "provider_events", "events",
    "visitors", "coupons", "conversions", "score_changes",
)  # fmt: skip
EXPORT = {
    "exported_at": WHEN,
    "contact": {"type": "object"},
    "suppression": {"type": ["object", "null"]},
    "other": {"type": "object"},
} | {name: {"type": "array", "items": {"type": "object"}} for name in EXPORT_LISTS}
register(
    Operation(
        path="/api/v1/contacts/{email}/export",
        method="get",
        scope="contacts:read",
        tags=("contacts", "gdpr"),
        summary="Everything stored about a contact (the right of access)",
        parameters=(EMAIL,),
        responses={
            "200": json_response("The export", object_schema(list(EXPORT), EXPORT)),
            "400": error_response("Not an email address"),
            "404": error_response("No such contact"),
        },
    )
)
register(
    Operation(
        path="/api/v1/openapi.json",
        method="get",
        tags=("meta",),
        summary="This document",
        responses={"200": json_response("The OpenAPI 3.1 document", {"type": "object"})},
    )
)
