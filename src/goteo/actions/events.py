"""Events: checking what callers send and recording it. The only writer of Event rows.

``check_events`` turns raw JSON items (the events API) into ``EventInput`` values with
field-level errors by index; ``do_record_events`` stores a batch in one transaction and hands
the newly stored events to ``goteo.actions.reactions.react``. The tracking endpoint and
open/click tracking build ``EventInput`` values themselves and call ``do_record_events``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from goteo.actions.reactions import react
from goteo.contacts import event_store
from goteo.contacts.control_chars import control_problem
from goteo.contacts.event_facts import EventFact
from goteo.contacts.fields import normalize_email, nul_problem
from goteo.engine.step_parser import SLUG
from goteo.sqlite_writer import write_turn

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number names no contact
FIELDS = ("name", "email", "contact_id", "anonymous_id", "properties", "timestamp")
ALLOWED = frozenset((*FIELDS, "idempotency_key"))
MAX_PROPERTIES_BYTES = 8192  # the properties object, as compact JSON
MAX_KEY_LENGTH = 200
MAX_EMAIL_LENGTH = 320
MAX_OFFSET = timedelta(hours=14)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(minutes=10)  # clock skew allowed; later timestamps are refused
ANONYMOUS_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}\Z")
SOURCES = ("api", "tracking", "email", "mail", "system")


@dataclass(frozen=True)
class EventInput:
    """One checked event. Give ``contact_id`` or ``email`` (a new address creates the
    contact), or only ``anonymous_id`` for a visitor not identified yet."""

    name: str
    email: str | None = None
    contact_id: int | None = None
    anonymous_id: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None  # None: now
    idempotency_key: str | None = None
    source: str = "api"  # api, tracking, email, system
    delivery_id: int | None = None
    # The properties as JSON text, when the checker already encoded them (saves a second pass).
    properties_json: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RecordReport:
    """What ``do_record_events`` did with each input, by input index."""

    stored: list[EventFact]  # the newly stored events, in input order
    stored_indexes: list[int]  # the input index of each of ``stored``
    duplicates: list[int]  # inputs whose idempotency key was already stored (or repeated)
    errors: dict[int, dict[str, str]]  # inputs refused, e.g. an unknown contact_id


def check_events(
    raw_items: list[Any], now: datetime | None = None
) -> tuple[list[EventInput | None], dict[int, dict[str, str]]]:
    """Check raw event objects; return one input per item (None where refused) and the
    field -> message errors of each refused item by index."""
    now = now or timezone.now()
    inputs: list[EventInput | None] = []
    errors: dict[int, dict[str, str]] = {}
    for index, raw in enumerate(raw_items):
        checked, problems = check_event(raw, now)
        inputs.append(checked)
        if problems:
            errors[index] = problems
    return inputs, errors


def check_event(raw: Any, now: datetime) -> tuple[EventInput | None, dict[str, str]]:
    if not isinstance(raw, Mapping):
        return None, {"event": "must be a JSON object"}
    errors: dict[str, str] = {}
    if not ALLOWED.issuperset(raw):
        for key in raw.keys() - ALLOWED:
            errors[str(key)] = "unknown field"
    name = raw.get("name")
    if not isinstance(name, str) or not SLUG.match(name):
        errors["name"] = "required: lowercase letters, digits, _ and -, at most 64 characters"
    email, contact_id, anonymous_id = _who(raw, errors)
    properties, encoded = _properties(raw.get("properties", {}), errors)
    occurred_at = _timestamp(raw.get("timestamp"), now, errors)
    key = raw.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH):
        errors["idempotency_key"] = f"must be text of 1 to {MAX_KEY_LENGTH} characters"
    elif key is not None and (problem := control_problem(key)):
        errors["idempotency_key"] = f"must be one line of text: {problem}"
    if errors:
        if email is not None:  # refused anyway: name every problem, the address's too
            try:
                normalize_email(email)
            except ValueError as exc:
                errors["email"] = str(exc)
        return None, errors
    assert isinstance(name, str)
    return EventInput(
        name=name,
        email=email,
        contact_id=contact_id,
        anonymous_id=anonymous_id,
        properties=properties,
        occurred_at=occurred_at,
        idempotency_key=key,
        properties_json=encoded,
    ), {}


def _who(
    raw: Mapping[str, Any], errors: dict[str, str]
) -> tuple[str | None, int | None, str | None]:
    email = contact_id = anonymous_id = None
    if (given := raw.get("email")) is not None:
        # Checked in full when the batch is resolved, and only if it is not a stored address
        # already (stored addresses were checked when their contact was created).
        if not isinstance(given, str) or not given.strip():
            errors["email"] = "an email address is required"
        elif len(given) > MAX_EMAIL_LENGTH:
            errors["email"] = f"at most {MAX_EMAIL_LENGTH} characters"
        elif problem := control_problem(given.strip()):
            errors["email"] = f"not an email address: {problem}"  # never looked up
        else:
            email = given.strip()
    value = raw.get("contact_id")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            errors["contact_id"] = "must be a positive whole number (an id we gave)"
        else:
            contact_id = value
    value = raw.get("anonymous_id")
    if value is not None:
        if not isinstance(value, str) or not ANONYMOUS_ID.match(value):
            errors["anonymous_id"] = "must be 1 to 64 letters, digits or . _ : -"
        else:
            anonymous_id = value
    if raw.get("email") is not None and raw.get("contact_id") is not None:
        errors["contact_id"] = "give email or contact_id, not both"
    elif all(raw.get(k) is None for k in ("email", "contact_id", "anonymous_id")):
        errors["email"] = "required: email, contact_id or anonymous_id"
    return email, contact_id, anonymous_id


def _properties(value: Any, errors: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    """The properties and their JSON text: measured once, and stored as they were measured."""
    if not isinstance(value, Mapping):
        errors["properties"] = "must be a JSON object"
        return {}, None
    encoded = _ENCODE(value)
    # JSON writes a NUL as \u0000; only then is the walk through the values needed.
    if "\\u0000" in encoded and (problem := nul_problem(value)):
        errors["properties"] = f"{problem}, which cannot be stored"
        return {}, None
    # A character is at most 4 bytes in UTF-8: only text that long needs counting in bytes.
    if len(encoded) * 4 > MAX_PROPERTIES_BYTES:
        size = len(encoded.encode())
        if size > MAX_PROPERTIES_BYTES:
            errors["properties"] = f"{size} bytes as JSON; at most {MAX_PROPERTIES_BYTES}"
            return {}, None
    return (value if type(value) is dict else dict(value)), encoded


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _timestamp(value: Any, now: datetime, errors: dict[str, str]) -> datetime | None:
    if value is None:
        return None
    when = None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
    offset = when.utcoffset() if when is not None else None
    if when is None or offset is None:
        errors["timestamp"] = "must be ISO 8601 with a UTC offset, like 2025-05-01T10:00:00Z"
        return None
    if abs(offset) > MAX_OFFSET:  # no place is further from UTC; PostgreSQL takes no more
        errors["timestamp"] = "its UTC offset must be from -14:00 to +14:00"
        return None
    if when < EARLIEST:
        errors["timestamp"] = "is before 1970"
        return None
    if when > now + FUTURE_TOLERANCE:
        errors["timestamp"] = "is in the future"
        return None
    return when


def do_record_events(items: Sequence[EventInput], now: datetime) -> RecordReport:
    """Store the events in one transaction and react to the ones newly stored.

    A key already stored, or repeated earlier in ``items``, makes the item a duplicate: it
    is not stored and sets nothing in motion. Contacts are resolved for the whole batch at
    once; an unknown email creates the contact, an unknown contact_id is an error.
    """
    with write_turn(), transaction.atomic():
        contact_of, errors = _resolve(items, now)
        rows: list[event_store.EventRow] = []
        row_indexes: list[int] = []
        duplicates: list[int] = []
        seen_keys: set[str] = set()
        for index, item in enumerate(items):
            if index in errors:
                continue
            if item.idempotency_key is not None:
                if item.idempotency_key in seen_keys:
                    duplicates.append(index)
                    continue
                seen_keys.add(item.idempotency_key)
            rows.append(_row(item, contact_of[index], now))
            row_indexes.append(index)
        ids = event_store.insert_events(rows, now)
        stored: list[EventFact] = []
        stored_indexes: list[int] = []
        for index, row, new_id in zip(row_indexes, rows, ids, strict=True):
            if new_id is None:
                duplicates.append(index)
                continue
            stored.append(_fact(new_id, row, items[index].delivery_id))
            stored_indexes.append(index)
        react(stored, now)
    return RecordReport(stored, stored_indexes, sorted(duplicates), errors)


def _row(item: EventInput, contact_id: int | None, now: datetime) -> event_store.EventRow:
    return event_store.EventRow(
        contact_id=contact_id,
        anonymous_id=item.anonymous_id or "",
        name=item.name,
        properties=item.properties,
        occurred_at=item.occurred_at or now,
        idempotency_key=item.idempotency_key,
        source=item.source,
        delivery_id=item.delivery_id,
        properties_json=item.properties_json,
    )


def _fact(event_id: int, row: event_store.EventRow, delivery_id: int | None) -> EventFact:
    return EventFact(
        id=event_id,
        contact_id=row.contact_id,
        name=row.name,
        occurred_at=row.occurred_at,
        properties=row.properties,
        delivery_id=delivery_id,
    )


def _resolve(
    items: Sequence[EventInput], now: datetime
) -> tuple[dict[int, int | None], dict[int, dict[str, str]]]:
    """Each item's contact id (None for an unidentified visitor), in a few queries per batch."""
    known_ids = event_store.existing_contact_ids(
        i.contact_id for i in items if i.contact_id is not None
    )
    by_email, bad_emails = _contacts_by_email(
        {i.email for i in items if i.email is not None and i.contact_id is None}
    )
    visitors = event_store.visitor_contacts(
        i.anonymous_id for i in items if i.anonymous_id is not None
    )
    contact_of: dict[int, int | None] = {}
    errors: dict[int, dict[str, str]] = {}
    seen: dict[str, tuple[datetime, datetime]] = {}
    for index, item in enumerate(items):
        if item.source not in SOURCES:
            errors[index] = {"source": f"use one of {', '.join(SOURCES)}"}
        elif item.contact_id is not None and item.contact_id not in known_ids:
            errors[index] = {"contact_id": f"no contact with id {item.contact_id}"}
        elif item.contact_id is not None:
            contact_of[index] = item.contact_id
        elif item.email is not None and item.email in bad_emails:
            errors[index] = {"email": bad_emails[item.email]}
        elif item.email is not None:
            contact_of[index] = by_email[item.email]
        else:
            contact_of[index] = visitors.get(item.anonymous_id or "")
        if index not in errors and item.anonymous_id:
            when = item.occurred_at or now
            first, last = seen.get(item.anonymous_id, (when, when))
            seen[item.anonymous_id] = (min(first, when), max(last, when))
    event_store.touch_visitors(seen)
    return contact_of, errors


def _contacts_by_email(given: set[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Contact ids for the addresses as given, and the reason each refused one is refused.

    An address that is a stored one but for case is that contact, no checks needed; the rest
    are checked and normalised (which costs more than everything else about an event), and
    the unknown ones get a contact, as the contacts API does.
    """
    lowered = {email: email.lower() for email in given}
    stored = event_store.contact_ids_by_email(set(lowered.values()))
    found = {email: stored[low] for email, low in lowered.items() if low in stored}
    normalized: dict[str, str] = {}
    refused: dict[str, str] = {}
    for email in given - found.keys():
        try:
            normalized[email] = normalize_email(email)
        except ValueError as exc:
            refused[email] = str(exc)
    if normalized:
        ids = event_store.contact_ids_by_email(set(normalized.values()))
        if missing := set(normalized.values()) - ids.keys():
            ids.update(event_store.create_contacts(missing))
        found.update({email: ids[norm] for email, norm in normalized.items()})
    return found, refused
