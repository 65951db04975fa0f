"""Reading a provider webhook's body before django-anymail parses it: strict JSON, then the
provider's schema (``goteo.channels.email.webhook_schemas``).

A body that ``goteo.strict_json`` refuses (not UTF-8 JSON, ``NaN``, nesting deeper than
anyone sends, text the database cannot store), or that does not match the schema, raises
``MalformedPayload``, naming the field: the request is answered 400 and nothing is read from it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils.dateparse import parse_datetime
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from goteo import strict_json
from goteo.channels.email.webhook_schemas import SCHEMAS

FORMATS = FormatChecker(formats=())


class MalformedPayload(ValueError):
    """The body is not a tracking payload of this provider; the message names the field."""


@FORMATS.checks("goteo-datetime", raises=ValueError)
def _datetime(value: object) -> bool:
    return not isinstance(value, str) or parse_datetime(value) is not None


@FORMATS.checks("goteo-json", raises=ValueError)
def _json_text(value: object) -> bool:
    if isinstance(value, str):
        json.loads(value)
    return True


def read_json(body: bytes) -> Any:
    """The body as strict JSON (``goteo.strict_json``), or MalformedPayload."""
    try:
        return strict_json.loads(body)
    except strict_json.JsonRefused as exc:
        raise MalformedPayload(str(exc)) from None


@cache
def _validator(provider: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[provider], format_checker=FORMATS)


def check_document(provider: str, document: Any) -> None:
    """MalformedPayload naming the first field that breaks ``provider``'s schema."""
    errors = sorted(_validator(provider).iter_errors(document), key=lambda e: list(e.path))
    if errors:
        raise MalformedPayload(_describe(errors[0]))


def _describe(error: ValidationError) -> str:
    """Where and what, without echoing the sender's value."""
    path = error.json_path
    rule, value = error.validator, error.validator_value
    if rule == "required":
        names = value if isinstance(value, list) else []
        missing = [k for k in names if isinstance(error.instance, dict) and k not in error.instance]
        return f"{path}: {', '.join(missing) or 'a field'} is missing"
    if rule == "type":
        kinds = value if isinstance(value, list) else [value]
        return f"{path}: must be {' or '.join(str(k) for k in kinds)}"
    if rule in ("minimum", "maximum"):
        return (
            f"{path}: must be a Unix time from 0 to {value}"
            if rule == "maximum"
            else (f"{path}: must be at least {value}")
        )
    wording = {
        "not": "is not a tracking event (is it meant for an inbound webhook?)",
        "pattern": "has characters or a form not accepted here",
        "format": f"must be {value}".replace("goteo-", "a "),
        "maxProperties": f"must have at most {value} keys",
    }
    return f"{path}: {wording.get(str(rule), 'has a value not accepted here')}"


def check_request(provider: str, request: HttpRequest) -> None:
    """The request's payload as the provider sends it, checked; MalformedPayload if not."""
    if provider == "mandrill":  # a form with one field holding the JSON events
        content_type = request.content_type or ""
        if content_type != "application/x-www-form-urlencoded":
            raise MalformedPayload("body: must be a form (application/x-www-form-urlencoded)")
        events = request.POST.get("mandrill_events")
        if events is None:
            raise MalformedPayload("mandrill_events: is missing")
        check_document(provider, read_json(events.encode("utf-8", "surrogatepass")))
        return
    if provider == "mailgun" and request.content_type != "application/json":
        raise MalformedPayload("body: must be JSON (Mailgun's webhooks, not the legacy form posts)")
    check_document(provider, read_json(request.body))
