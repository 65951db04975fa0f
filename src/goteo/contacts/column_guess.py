"""Guessing what each column of an uploaded CSV holds, from its header (the import's mapping).

``E-mail``, ``Email address`` and ``correo`` read as ``email``; ``First name``, ``Given name``
and ``nombre`` as ``first_name``; and so on. Any other header becomes an attribute under a
name attribute names allow (``Favourite colour`` → ``favourite_colour``). The person importing
sees the guess and may change it.
"""

from __future__ import annotations

import re
import unicodedata

from goteo.contacts.fields import CORE_FIELDS
from goteo.contacts.postal import FLAT

FIELDS = (*CORE_FIELDS, "country", *FLAT)
_ALIASES = {
    "email": ("email", "e_mail", "email_address", "mail", "correo", "correo_electronico"),
    "first_name": ("first_name", "firstname", "given_name", "forename", "first", "nombre"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "last", "apellido",
                  "apellidos"),
    "locale": ("locale", "language", "lang", "idioma"),
    "timezone": ("timezone", "time_zone", "tz", "zona_horaria"),
    "phone": ("phone", "phone_number", "mobile", "mobile_phone", "cell", "telefono", "movil"),
    "country": ("country", "pais"),
}  # fmt: skip
_KNOWN = {alias: field for field, aliases in _ALIASES.items() for alias in aliases}


def slug(header: str) -> str:
    """The header as an attribute name: ASCII letters, digits and ``_``, not starting with a
    digit, at most 64 characters (``""`` when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if name[:1].isdigit():
        name = f"_{name}"
    return name[:64]


def guess(headers: list[str]) -> dict[str, str]:
    """Each header's column: a field, an attribute name, or ``""`` (skipped). A field is
    guessed for the first header that looks like it only."""
    taken: set[str] = set()
    chosen: dict[str, str] = {}
    for header in headers:
        name = slug(header)
        field = name if name in FIELDS else _KNOWN.get(name, "")
        if field and field not in taken:
            chosen[header] = field
            taken.add(field)
        else:
            chosen[header] = name if name not in FIELDS else ""
    return chosen
