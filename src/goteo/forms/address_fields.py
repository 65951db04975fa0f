"""A form's postal address: which inputs it shows for its countries, and which input each of
``check_postal``'s problems belongs to.

The inputs are the flat spellings the CSV import also reads (``address_line1``,
``address_city``…, see ``goteo.contacts.postal.FLAT``). A form shows the parts its countries
use (a region only when one of them has regions) and marks as required, in the browser, the
parts all of them require; the server checks the chosen country's own rules.
"""

from __future__ import annotations

from goteo.contacts.postal import REQUIRED, country_parts

LINE1, LINE2, COUNTRY = "address_line1", "address_line2", "address_country"
# Each input and the part of the address it fills, in the order the form shows them.
INPUTS = (
    (LINE1, "lines"),
    (LINE2, "lines"),
    ("address_city", "city"),
    ("address_postal_code", "postal_code"),
    ("address_region", "region"),
    (COUNTRY, "country"),
)
_INPUT_OF = {"city": "address_city", "postal_code": "address_postal_code"} | {
    "region": "address_region",
    "country": COUNTRY,
    "lines[1]": LINE2,
}
AUTOCOMPLETE = {
    LINE1: "address-line1",
    LINE2: "address-line2",
    "address_city": "address-level2",
    "address_postal_code": "postal-code",
    "address_region": "address-level1",
    COUNTRY: "country",
}


def shown(countries: tuple[str, ...]) -> list[tuple[str, bool]]:
    """The inputs a form with these countries shows, each with whether every country
    requires it (the second street line and the country menu are always shown)."""
    parts = [p for p in (country_parts(c) for c in countries) if p is not None]
    used = set().union(*(p.used for p in parts))
    required = set.intersection(*(set(p.required) for p in parts)) if parts else set()
    inputs = []
    for name, part in INPUTS:
        if name in (LINE2, COUNTRY) or part in used:
            inputs.append((name, name == COUNTRY or (name != LINE2 and part in required)))
    return inputs


def input_of(problem: str) -> str:
    """The input a problem of ``check_contact`` (``postal_address.city``) belongs to."""
    part = problem.removeprefix("postal_address").lstrip(".")
    return _INPUT_OF.get(part, LINE1)


def error_code(message: str) -> str:
    """The form's words for a problem: a part left out, or one that looks wrong."""
    return "address_required" if message.startswith(REQUIRED) else "address_invalid"
