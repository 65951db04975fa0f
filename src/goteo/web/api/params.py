"""Query parameters of the API, checked as the API has always checked them and answered with
the same field-level messages: ``limit`` as a whole number in a range (ASCII digits only), a
time from a date or a date and time.

Each is a pydantic type for a Ninja ``Query`` schema; a value it refuses is answered 400 with
``{"fields": {"<parameter>": "<message>"}}`` (``ninja_api``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.timezone import is_naive, make_aware
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from goteo.web.http.query import whole_number


def whole_number_in(low: int, high: int, message: str = "") -> Any:
    """An ``int`` from ``low`` to ``high`` given in ASCII digits; otherwise ``message``
    (by default "a whole number from <low> to <high>")."""
    said = message or f"a whole number from {low} to {high}"

    def check(value: object) -> int:
        number = value if isinstance(value, int) else whole_number(str(value), low, high)
        if isinstance(number, bool) or number is None or not low <= number <= high:
            raise PydanticCustomError("whole_number", said)
        return number

    schema = {"type": "integer", "minimum": low, "maximum": high}
    return Annotated[int, BeforeValidator(check), WithJsonSchema(schema)]


def parse_since(text: str) -> datetime | None:
    """``2026-03-01`` (midnight UTC) or ``2026-03-01T09:00:00+01:00`` (UTC when naive)."""
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        return None
    if moment is None:
        return None
    return make_aware(moment, timezone=None) if is_naive(moment) else moment


def _since(value: object) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    moment = parse_since(text)
    if moment is None:
        raise PydanticCustomError("since", "an ISO 8601 date or date and time")
    return moment


Since = Annotated[
    datetime | None,
    BeforeValidator(_since),
    WithJsonSchema({"type": "string", "description": "2026-03-01 or 2026-03-01T09:00:00+01:00"}),
]
