"""Listing contacts: a condition (docs/conditions.md) and cursor paging, oldest first.

``goteo contacts list`` and ``GET /api/v1/contacts`` both read through ``list_contacts``. The
cursor is opaque to callers: pass back the ``next_cursor`` of one page to get the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goteo.actions.contact_card import current_score, score_half_life
from goteo.actions.errors import ActionError
from goteo.contacts.models import Contact
from goteo.contacts.segments import condition_q
from goteo.engine import yamlsource
from goteo.engine.conditions import Condition, parse_condition

MAX_LIMIT = 1000
SUMMARY = (
    "id", "email", "first_name", "last_name", "locale", "timezone", "status", "attributes",
    "tags", "score", "owner", "created_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class ContactPage:
    contacts: list[dict[str, Any]]  # the SUMMARY fields of each, by id
    next_cursor: str | None  # None: this is the last page


def parse_where(text: str) -> Condition:
    """A condition written as YAML or JSON (``{locale: es, score: {gte: 50}}``)."""
    doc = yamlsource.load(text)
    if doc.problems:
        _path, line, message = doc.problems[0]
        raise ActionError("bad condition", {"where": f"line {line}: {message}"})
    condition, problems = parse_condition(doc.data, "where")
    if condition is None:
        raise ActionError("bad condition", dict(problems))
    return condition


def check_page(limit: Any, cursor: Any) -> tuple[int, int]:
    """The page size and the id after which the page starts, or ActionError naming them."""
    errors: dict[str, str] = {}
    size = _whole(limit)
    if size is None or not 1 <= size <= MAX_LIMIT:
        errors["limit"] = f"a whole number from 1 to {MAX_LIMIT}"
    after = 0 if cursor in (None, "") else _whole(cursor)
    if after is None or after < 0:
        errors["cursor"] = "not a cursor this list gave (use next_cursor as it is)"
    if errors:
        raise ActionError("bad page", errors)
    assert size is not None and after is not None
    return size, after


def _whole(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def list_contacts(where: str | None, limit: Any, cursor: Any, now: datetime) -> ContactPage:
    """One page of the contacts ``where`` matches (everyone if None), by id."""
    size, after = check_page(limit, cursor)
    query = Contact.objects.filter(id__gt=after)
    if where is not None and where.strip():
        query = query.filter(condition_q(parse_where(where), now))
    rows = list(query.order_by("id").values(*SUMMARY, "score_updated_at")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    half_life = score_half_life()
    for row in rows:
        row["score"] = current_score(row["score"], row.pop("score_updated_at"), now, half_life)
    return ContactPage(rows, str(rows[-1]["id"]) if more else None)
