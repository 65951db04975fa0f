"""Phone numbers: parsed with ``phonenumbers`` and stored in E.164 (``+34612345678``).

A number written without its country code is read in the contact's own country (a
``country`` given with the contact) or else in ``GOTEO_DEFAULT_REGION``; without either it
must start with ``+``.
"""

from __future__ import annotations

import re

import phonenumbers

from goteo.contacts.control_chars import CONTROL_CHAR
from goteo.contacts.suppression_keys import email_hash

PHONE_MAX = 40  # as written, before normalisation
REGION = re.compile(r"^[A-Za-z]{2}$")


def region_of(country: object, default: str) -> str | None:
    """The region a national number is read in: the contact's country, else the default."""
    for value in (country, default):
        if isinstance(value, str) and REGION.match(value.strip()):
            return value.strip().upper()
    return None


def normalize_phone(value: object, region: str | None) -> str:
    """The E.164 form of ``value``; raise ValueError saying what is wrong with it."""
    if not isinstance(value, str) or len(value) > PHONE_MAX:
        raise ValueError(f"must be a phone number of at most {PHONE_MAX} characters")
    control = CONTROL_CHAR.search(value)
    if control:
        raise ValueError(
            f"must be one line of text: contains a control character "
            f"(U+{ord(control.group()):04X}) at position {control.start() + 1}"
        )
    text = value.strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        hint = "" if region or text.startswith("+") else " (start it with + and the country code)"
        raise ValueError(f"{text!r} is not a phone number{hint}") from None
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region or "any country"
        raise ValueError(f"{text!r} is not a valid phone number in {where}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_hash(e164: str) -> str:
    """The suppression list's key for a number: the same hash as an address's, so a STOP
    (which suppresses through ``address_hash``) and the send-time check always agree."""
    return email_hash(e164)


def masked_phone(e164: str) -> str:
    """A number for people to recognise, not to dial: its country code and last two digits
    (``+34 ••••••• 78``). Anything that is not a number keeps only its last two characters."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "•" * max(len(e164) - 2, 0) + e164[-2:]
    national = str(number.national_number)
    return f"+{number.country_code} {'•' * max(len(national) - 2, 0)} {national[-2:]}"
