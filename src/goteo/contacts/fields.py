"""Validation and normalisation of contact fields: email, locale, time zone, phone,
attributes.

``control_problem`` is the one check for control characters, used by every entry path (CSV,
API, forms, events) so that no NUL, escape or line break gets into a one-line field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from goteo.contacts.control_chars import control_problem
from goteo.contacts.phones import normalize_phone, region_of
from goteo.contacts.postal import FLAT, check_postal, from_flat
from goteo.engine.window import is_valid_zone

LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
CORE_FIELDS = ("email", "first_name", "last_name", "locale", "timezone", "phone")
# Exported, but never set from outside: consent and status change only through their actions.
READ_ONLY = ("id", "status", "sms_consent", "created_at", "updated_at")
NAME_MAX = 200
# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.


def normalize_email(value: object) -> str:
    """The canonical form of an address (lowercase); raise ValueError with a reason."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("an email address is required")
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None
    return result.normalized.lower()


@dataclass
class ContactInput:
    """A validated contact: only the fields that were given are set."""

    email: str
    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    postal_address: dict[str, Any] | None = None  # None: not given; {}: cleared


def check_contact(data: Mapping[str, Any]) -> tuple[ContactInput | None, dict[str, str]]:
    """Validate raw contact data; return the input and a field -> message dict of errors.

    Keys other than the core fields and ``attributes`` become attributes (as in CSV imports).
    """
    errors: dict[str, str] = {}
    email = ""
    try:
        email = normalize_email(data.get("email"))
    except ValueError as exc:
        errors["email"] = str(exc)
    fields: dict[str, str] = {}
    for name in ("first_name", "last_name"):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > NAME_MAX:
            errors[name] = f"must be one line of text, at most {NAME_MAX} characters"
        elif problem := control_problem(value):
            errors[name] = f"must be one line of text: {problem}"
        else:
            fields[name] = value.strip()
    locale = data.get("locale")
    if locale not in (None, ""):
        if not isinstance(locale, str) or not LOCALE.match(locale.strip()):
            errors["locale"] = f"{locale!r} is not a locale (like en, es, fr-CA)"
        else:
            fields["locale"] = locale.strip().replace("_", "-")
    tz = data.get("timezone")
    if tz not in (None, ""):
        if not isinstance(tz, str) or not is_valid_zone(tz.strip()):
            errors["timezone"] = f"{tz!r} is not a known time zone (like Europe/Madrid)"
        else:
            fields["timezone"] = tz.strip()
    phone = data.get("phone")
    if phone not in (None, ""):
        try:
            fields["phone"] = normalize_phone(phone, _region(data))
        except ValueError as exc:
            errors["phone"] = str(exc)
    attributes = _attributes(data, errors)
    postal = _postal(data, errors)
    if errors:
        return None, errors
    return ContactInput(email, fields, attributes, postal), {}


def _postal(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any] | None:
    """``postal_address`` as an object (API), or as flat ``address_*`` fields (CSV, forms)."""
    value = data.get("postal_address")
    if value is None:
        value = from_flat(data)
    if value is None:
        return None
    if value in ({}, ""):
        return {}
    address, problems = check_postal(value)
    for part, message in problems.items():
        errors[f"postal_address.{part}" if part else "postal_address"] = message
    return None if address is None else address.as_dict()


def _region(data: Mapping[str, Any]) -> str | None:
    """A number without its country code is read in the contact's country, else the default."""
    nested = data.get("attributes")
    country = data.get("country")
    if country is None and isinstance(nested, Mapping):
        country = nested.get("country")
    return region_of(country, settings.GOTEO_DEFAULT_REGION)


def _attributes(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    nested = data.get("attributes", {})
    if not isinstance(nested, Mapping):
        errors["attributes"] = "must be an object of name -> value"
        nested = {}
    skip = (*CORE_FIELDS, *READ_ONLY, *FLAT, "attributes", "postal_address")
    extra = {k: v for k, v in data.items() if k not in skip}
    for name, value in {**extra, **nested}.items():
        if not isinstance(name, str) or not ATTRIBUTE_NAME.fullmatch(name):
            errors[f"attributes.{name}"] = "attribute names are letters, digits and _"
        elif value is not None and not isinstance(value, str | int | float | bool | list | dict):
            errors[f"attributes.{name}"] = "unsupported value"
        elif problem := _text_problem(value):
            errors[f"attributes.{name}"] = problem
        else:
            attributes[name] = value
    return attributes


def _text_problem(value: Any) -> str | None:
    """A control character anywhere in an attribute's text, however deeply nested."""
    return nested_text_problem(value, lambda text: control_problem(text, one_line=False))


def nul_problem(value: Any) -> str | None:
    """A NUL anywhere in free JSON data (event properties): no database can store it."""
    return nested_text_problem(
        value, lambda text: "contains a NUL character (U+0000)" if "\x00" in text else None
    )


def nested_text_problem(value: Any, check: Callable[[str], str | None]) -> str | None:
    """The first problem ``check`` finds in any text (keys too) of nested JSON data."""
    if isinstance(value, str):
        return check(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if found := nested_text_problem(str(key), check) or nested_text_problem(item, check):
                return found
    if isinstance(value, list | tuple):
        for item in value:
            if found := nested_text_problem(item, check):
                return found
    return None
