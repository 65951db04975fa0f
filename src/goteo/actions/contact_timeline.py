"""A contact's timeline: everything that happened to one contact, newest first, one read model.

It merges the contact's events, messages (every channel), opens and clicks, exposures, consent
records (subscriptions, confirmations, SMS consent), score changes, conversions, provider
reports and journeys (entering, the steps run so far, ending). Each kind of entry is read with
its own query on the contact's rows, newest first, and the page is the newest ``limit`` of
their union; the cursor (time, kind, id) continues exactly where a page ended, so entries
written while someone pages are never skipped or shown twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

from goteo.actions.errors import ActionError
from goteo.campaigns.models import Conversion, Delivery, Enrollment, Exposure
from goteo.contacts.models import ChannelConsent, Consent, Event, ProviderEvent, ScoreEntry
from goteo.engine.state import EnrollmentState

MAX_LIMIT = 200
Describe = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # one of KINDS
    id: int  # the row's id in its own table
    facts: dict[str, Any]  # what the page shows, by kind (docs/console.md)

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.at, RANK[self.kind], self.id)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Entry]
    next_cursor: str | None  # None: nothing older


@dataclass(frozen=True)
class _Source:
    kind: str
    model: type[Model]
    at: str  # the column the entry is dated by
    columns: tuple[str, ...]
    describe: Describe


def _journey(row: dict[str, Any]) -> dict[str, Any]:
    state = EnrollmentState.from_json(row.pop("state"))
    return row | {"steps_run": list(state.steps_run), "step": state.position}


def _same(row: dict[str, Any]) -> dict[str, Any]:
    return row


SOURCES = (
    # Opens and clicks are events too (``opened``, ``clicked``), named with their message.
    _Source("event", Event, "occurred_at", ("name", "properties", "source", "delivery_id"), _same),
    _Source(
        "message", Delivery, "created_at",
        ("channel", "kind", "campaign__key", "step_id", "subject", "to_address", "status",
         "sent_at", "last_error"),
        _same,
    ),
    _Source("exposure", Exposure, "occurred_at", ("channel", "kind", "campaign__key", "step_id"),
            _same),
    _Source("consent", Consent, "submitted_at", ("form__key", "topics", "source"), _same),
    _Source("confirmed", Consent, "confirmed_at", ("form__key", "topics"), _same),
    _Source("channel_consent", ChannelConsent, "at", ("channel", "status", "source"), _same),
    _Source("score", ScoreEntry, "created_at", ("points", "reason"), _same),
    _Source("conversion", Conversion, "occurred_at",
            ("name", "value", "currency", "campaign__key"), _same),
    _Source("provider_event", ProviderEvent, "received_at",
            ("provider", "event_type", "description"), _same),
    _Source("journey", Enrollment, "enrolled_at",
            ("campaign__key", "version__number", "status", "state"), _journey),
    _Source("journey_end", Enrollment, "ended_at", ("campaign__key", "status", "end_reason"),
            _same),
)  # fmt: skip
KINDS = tuple(s.kind for s in SOURCES)
RANK = {kind: rank for rank, kind in enumerate(KINDS)}


def _cursor(text: Any) -> tuple[datetime, int, int] | None:
    if text in (None, ""):
        return None
    at, _, rest = str(text).rpartition("~")
    kind, _, row = rest.partition(".")
    when = parse_datetime(at) if at else None
    if when is None or kind not in RANK or not row.isascii() or not row.isdigit():
        raise ActionError("bad page", {"cursor": "not a cursor this timeline gave"})
    return (when, RANK[kind], int(row))


def _older(source: _Source, mark: tuple[datetime, int, int]) -> Q:
    """Rows of ``source`` that come after ``mark`` in newest-first order."""
    at, rank, row = mark
    before = Q(**{f"{source.at}__lt": at})
    mine = RANK[source.kind]
    if mine < rank:
        return before | Q(**{source.at: at})
    if mine == rank:
        return before | Q(**{source.at: at, "id__lt": row})
    return before


def _query(source: _Source, contact_id: int) -> QuerySet[Any]:
    rows = source.model._default_manager.filter(contact_id=contact_id)
    return rows.filter(**{f"{source.at}__isnull": False})


def contact_timeline(contact_id: int, limit: int = 50, cursor: Any = None) -> TimelinePage:
    """The newest ``limit`` entries about the contact (older than ``cursor``, if given)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ActionError("bad page", {"limit": f"a whole number from 1 to {MAX_LIMIT}"})
    mark = _cursor(cursor)
    entries: list[Entry] = []
    for source in SOURCES:
        rows = _query(source, contact_id)
        if mark is not None:
            rows = rows.filter(_older(source, mark))
        picked = rows.order_by(f"-{source.at}", "-id").values("id", source.at, *source.columns)
        for row in picked[: limit + 1]:
            row_id, at = row.pop("id"), row.pop(source.at)
            facts = source.describe({k.replace("__", "_"): v for k, v in row.items()})
            entries.append(Entry(at, source.kind, row_id, facts))
    entries.sort(key=lambda e: e.key, reverse=True)
    more = len(entries) > limit
    page = entries[:limit]
    _name_messages(page)
    last = page[-1] if more else None
    return TimelinePage(page, f"{last.at.isoformat()}~{last.kind}.{last.id}" if last else None)


def _name_messages(entries: list[Entry]) -> None:
    """Give each event about a message (opened, clicked) that message's subject and channel."""
    ids = {e.facts["delivery_id"] for e in entries if e.kind == "event" and e.facts["delivery_id"]}
    if not ids:
        return
    found = Delivery.objects.filter(id__in=ids).values_list("id", "subject", "channel")
    named = {row_id: (subject, channel) for row_id, subject, channel in found}
    for entry in entries:
        if entry.kind == "event" and entry.facts["delivery_id"] in named:
            subject, channel = named[entry.facts["delivery_id"]]
            entry.facts.update(subject=subject, channel=channel)
