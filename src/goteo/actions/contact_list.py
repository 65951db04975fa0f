"""Listing contacts: a condition (docs/conditions.md), a search and cursor paging, oldest first.

``goteo contacts list``, ``GET /api/v1/contacts`` and the web app's contacts page all read
through ``list_contacts``. The cursor is opaque to callers: pass back the ``next_cursor`` of one
page to get the next (or, with ``backward``, its ``previous_cursor`` to get the one before).
Pages are walked by id through the primary key's index, never by OFFSET, so the thousandth page
costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from goteo.actions.contact_card import current_score, score_half_life
from goteo.actions.errors import ActionError
from goteo.contacts.fields import normalize_email
from goteo.contacts.models import Contact
from goteo.contacts.segments import condition_q
from goteo.engine import yamlsource
from goteo.engine.conditions import Condition, parse_condition

MAX_LIMIT = 1000
SUMMARY = (
    "id", "email", "first_name", "last_name", "locale", "timezone", "phone", "status",
    "sms_consent", "attributes", "tags", "score", "owner", "created_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True)
class ContactPage:
    contacts: list[dict[str, Any]]  # the SUMMARY fields of each, by id
    next_cursor: str | None  # None: this is the last page
    previous_cursor: str | None = None  # None: this is the first page (backward paging only)


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


def search_q(text: str) -> Q:
    """Contacts whose address, first or last name contains ``text`` (any case); a whole
    address finds that contact alone, through the address's unique index."""
    words = text.strip()
    if "@" in words:
        try:
            return Q(email=normalize_email(words))
        except ValueError:
            pass  # part of an address: looked for in every address
    return (
        Q(email__icontains=words) | Q(first_name__icontains=words) | Q(last_name__icontains=words)
    )


def matching(where: str | None, search: str, now: datetime) -> QuerySet[Contact]:
    """Every contact ``where`` matches whose address or name contains ``search`` (either may
    be empty); ActionError naming ``where`` for a condition that does not parse."""
    query = Contact.objects.all()
    if where is not None and where.strip():
        query = query.filter(condition_q(parse_where(where), now))
    if search.strip():
        query = query.filter(search_q(search))
    return query


def list_contacts(
    where: str | None,
    limit: Any,
    cursor: Any,
    now: datetime,
    *,
    search: str = "",
    backward: bool = False,
) -> ContactPage:
    """One page of the contacts ``where`` matches (everyone if None), by id.

    ``search`` keeps those whose address or name contains it. With ``backward`` the page is
    the one that ends just before ``cursor`` (still listed oldest first); ``previous_cursor``
    is then set when an earlier page exists, and ``next_cursor`` is always set.
    """
    size, mark = check_page(limit, cursor)
    query = matching(where, search, now)
    if backward:
        query = query.filter(id__lt=mark) if mark else query.none()
    else:
        query = query.filter(id__gt=mark)
    order = "-id" if backward else "id"
    rows = list(query.order_by(order).values(*SUMMARY, "score_updated_at")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    half_life = score_half_life()
    for row in rows:
        row["score"] = current_score(row["score"], row.pop("score_updated_at"), now, half_life)
    if backward:
        rows.reverse()
        first = str(rows[0]["id"]) if more else None
        return ContactPage(rows, str(rows[-1]["id"]) if rows else None, first)
    return ContactPage(rows, str(rows[-1]["id"]) if more else None)
