"""Load what the engine may know about the contacts of a batch: fields, needed events and
exposures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from goteo.campaigns.exposure_counts import load_exposures
from goteo.contacts.models import Event
from goteo.engine.conditions import EventRecord, ExposureRecord, Facts
from goteo.engine.needs import EventNeeds

CONTACT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "locale",
    "timezone",
    "status",
    "score",
    "owner",
    "tags",
    "created_at",
    "attributes",
)
ROW_PREFIX = "contact__"


def facts_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row's ``contact__*`` values as the condition language names them."""
    return {name: row[f"{ROW_PREFIX}{name}"] for name in CONTACT_FIELDS}


def load_events(
    wanted: Iterable[tuple[int, EventNeeds, datetime]], now: datetime
) -> dict[int, list[EventRecord]]:
    """Events by contact: the names each journey needs, since the earliest moment any needs.

    ``wanted`` holds (contact id, the campaign's needs, when the journey began).
    """
    contacts: set[int] = set()
    names: set[str] = set()
    since: datetime | None = now
    for contact_id, needs, started in wanted:
        if needs.none:
            continue
        contacts.add(contact_id)
        names |= needs.names
        if needs.before_start is None or since is None:
            since = None
        else:
            since = min(since, started - needs.before_start)
    found: dict[int, list[EventRecord]] = defaultdict(list)
    if not contacts:
        return found
    query = Event.objects.filter(contact_id__in=contacts, name__in=names, occurred_at__lte=now)
    if since is not None:
        query = query.filter(occurred_at__gte=since)
    rows = query.order_by("occurred_at").values_list(
        "contact_id", "name", "properties", "occurred_at", "id"
    )
    for contact_id, name, properties, occurred_at, event_id in rows:
        found[contact_id].append(EventRecord(name, properties or {}, occurred_at, event_id))
    return found


def needed_exposures(
    wanted: Iterable[tuple[int, EventNeeds]], now: datetime
) -> dict[int, list[ExposureRecord]]:
    """Exposures by contact, for the journeys whose decisions read them, as far back as the
    longest of their lookbacks."""
    contacts: set[int] = set()
    since: datetime | None = now
    for contact_id, needs in wanted:
        if needs.exposures is False:
            continue
        contacts.add(contact_id)
        if needs.exposures is None or since is None:
            since = None
        else:
            assert isinstance(needs.exposures, timedelta)
            since = min(since, now - needs.exposures)
    return load_exposures(contacts, since, now)


@dataclass(frozen=True)
class BatchFacts:
    """What was loaded for a batch: events and exposures by contact."""

    events: Mapping[int, list[EventRecord]]
    exposures: Mapping[int, list[ExposureRecord]]

    def of(self, row: Mapping[str, Any]) -> Facts:
        """The facts of one enrollment row's contact."""
        contact = row["contact_id"]
        return Facts(
            fields=facts_fields(row),
            events=tuple(self.events.get(contact, ())),
            exposures=tuple(self.exposures.get(contact, ())),
        )
