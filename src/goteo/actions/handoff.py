"""The hand-off to sales: a lead whose score crosses the threshold becomes hot and gets an owner.

Called inside the transaction that changed the scores. Crossing upwards (and not hot yet)
sets ``hot_at``, picks the owner and writes the outbox rows: an email to the owner with the
lead's history (``lead-handoff``) and/or a call to the CRM webhook. Falling back under the
threshold clears ``hot_at``; the next crossing is a new hand-off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q

from goteo.campaigns.delivery_kinds import MARKETING, NOTIFICATION, WEBHOOK
from goteo.campaigns.models import Delivery, Enrollment, Setting
from goteo.campaigns.outbox import NewDelivery, enqueue
from goteo.contacts.models import Contact, Event, ScoreEntry
from goteo.engine.conditions import EventRecord, Facts, event_names, lookback
from goteo.engine.scoring import Crossing, ScoringRules, choose_owner, crossing, decayed

TURN_KEY = "scoring.turn"  # the round-robin counter: how many leads the pool has received
HISTORY = 20
PROPERTIES_SHOWN = 5
TEXT_SHOWN = 200
TEMPLATE = "lead-handoff"


def settle(contacts: Sequence[Contact], rules: ScoringRules, now: datetime) -> int:
    """Apply threshold crossings to ``contacts`` (locked rows, scores already saved); how
    many were handed over. ``hot_at`` and ``owner`` are updated on the instances too."""
    hot: list[Contact] = []
    cold: list[Contact] = []
    for contact in contacts:
        score = decayed(contact.score, contact.score_updated_at, now, rules.half_life)
        change = crossing(score, contact.hot_at is not None, rules.threshold)
        if change is Crossing.HOT:
            hot.append(contact)
        elif change is Crossing.COLD:
            cold.append(contact)
    if cold:
        for contact in cold:
            contact.hot_at = None
        Contact.objects.filter(id__in=[c.id for c in cold]).update(hot_at=None)
    if hot:
        _hand_off(hot, rules, now)
    return len(hot)


def _hand_off(leads: list[Contact], rules: ScoringRules, now: datetime) -> None:
    full = {c.id: c for c in Contact.objects.filter(id__in=[c.id for c in leads])}
    events = _condition_events(rules, list(full), now)
    listed = {owner.email for owner in rules.owners}
    turn_row = _lock_turns() if any(o.when is None for o in rules.owners) else None
    turn = int(turn_row.value) if turn_row is not None else 0
    for lead in sorted(leads, key=lambda c: c.id):
        person = full[lead.id]
        person.score = decayed(lead.score, lead.score_updated_at, now, rules.half_life)
        if person.owner and person.owner in listed:
            owner: str | None = person.owner  # handed over before: back to the same person
        else:
            facts = _facts(person, events.get(lead.id, []))
            owner, used_turn = choose_owner(rules.owners, facts, now, turn)
            turn += 1 if used_turn else 0
        lead.hot_at, lead.owner = now, owner or ""
        person.hot_at, person.owner = now, owner or ""
    Contact.objects.bulk_update(leads, ["hot_at", "owner"])
    if turn_row is not None and str(turn) != turn_row.value:
        turn_row.value = str(turn)
        turn_row.save(update_fields=["value"])
    if rules.notify or rules.webhook:
        _queue(sorted(full.values(), key=lambda c: c.id), rules, now)


def _lock_turns() -> Setting:
    Setting.objects.get_or_create(key=TURN_KEY, defaults={"value": "0"})
    return Setting.objects.select_for_update().get(key=TURN_KEY)


def _condition_events(
    rules: ScoringRules, contact_ids: list[int], now: datetime
) -> dict[int, list[EventRecord]]:
    """The events the owners' ``when`` conditions look at, for each lead (one query)."""
    conditions = [o.when for o in rules.owners if o.when is not None]
    names = sorted({name for c in conditions for name in event_names(c)})
    if not names:
        return {}
    spans = [lookback(c) for c in conditions if event_names(c)]
    query = Q(contact_id__in=contact_ids, name__in=names, occurred_at__lte=now)
    if None not in spans:
        query &= Q(occurred_at__gte=now - max(s for s in spans if s is not None))
    found: dict[int, list[EventRecord]] = {}
    for row in Event.objects.filter(query).values(
        "contact_id", "name", "properties", "occurred_at"
    ):
        record = EventRecord(row["name"], row["properties"] or {}, row["occurred_at"])
        found.setdefault(row["contact_id"], []).append(record)
    return found


def _facts(contact: Contact, events: Sequence[EventRecord]) -> Facts:
    fields = {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "locale": contact.locale,
        "timezone": contact.timezone,
        "status": contact.status,
        "score": contact.score,
        "owner": contact.owner,
        "tags": list(contact.tags or []),
        "created_at": contact.created_at,
        "attributes": dict(contact.attributes or {}),
    }
    return Facts(fields=fields, events=tuple(events))


def _queue(leads: list[Contact], rules: ScoringRules, now: datetime) -> None:
    numbers = _handoff_numbers([c.id for c in leads])
    rows: list[NewDelivery] = []
    for lead in leads:
        n = numbers.get(lead.id, 0) + 1
        history = lead_history(lead.id)
        if rules.notify and lead.owner:
            context = {"to": lead.owner} | notification_context(lead, rules, history)
            rows.append(
                NewDelivery(
                    contact_id=lead.id,
                    kind=NOTIFICATION,
                    channel="email",
                    step_id=f"handoff-{n}",
                    template=TEMPLATE,
                    locale="en",
                    context=context,
                )
            )
        if rules.webhook:
            payload = webhook_payload(lead, rules, history)
            rows.append(
                NewDelivery(
                    contact_id=lead.id,
                    kind=WEBHOOK,
                    channel="webhook",
                    step_id=f"handoff-webhook-{n}",
                    template="",
                    locale="",
                    context={"url": rules.webhook, "payload": payload},
                )
            )
    enqueue(rows, now)


def _handoff_numbers(contact_ids: list[int]) -> dict[int, int]:
    """contact id -> the number of its latest hand-off (from ``handoff-<n>`` step ids)."""
    latest: dict[int, int] = {}
    rows = Delivery.objects.filter(
        contact_id__in=contact_ids, step_id__startswith="handoff-", enrollment__isnull=True
    ).values_list("contact_id", "step_id")
    for contact_id, step_id in rows:
        tail = step_id.rpartition("-")[2]
        if tail.isdigit():
            latest[contact_id] = max(latest.get(contact_id, 0), int(tail))
    return latest


def lead_history(contact_id: int) -> dict[str, list[dict[str, Any]]]:
    """The lead's recent events, score changes, campaigns and messages (newest first)."""
    events = Event.objects.filter(contact_id=contact_id).order_by("-occurred_at", "-id")
    entries = ScoreEntry.objects.filter(contact_id=contact_id).order_by("-created_at", "-id")
    journeys = (
        Enrollment.objects.filter(contact_id=contact_id)
        .select_related("campaign")
        .order_by("-enrolled_at", "-id")
    )
    messages = (
        Delivery.objects.filter(contact_id=contact_id, kind=MARKETING)
        .select_related("campaign")
        .order_by("-created_at", "-id")
    )
    return {
        "events": [
            {"name": e.name, "at": e.occurred_at, "properties": key_properties(e.properties)}
            for e in events[:HISTORY]
        ],
        "score_changes": [
            {"points": s.points, "reason": s.reason, "at": s.created_at} for s in entries[:HISTORY]
        ],
        "campaigns": [
            {
                "key": j.campaign.key,
                "name": j.campaign.name,
                "status": j.status,
                "at": j.enrolled_at,
            }
            for j in journeys[:HISTORY]
        ],
        "messages": [
            {
                "campaign": d.campaign.key if d.campaign else "",
                "subject": d.subject,
                "status": d.status,
                "at": d.sent_at or d.created_at,
                "opened": d.opened_at is not None,
                "clicked": d.clicked_at is not None,
            }
            for d in messages[:HISTORY]
        ],
    }


def key_properties(properties: Mapping[str, Any] | None) -> dict[str, Any]:
    """The first few plain values of an event's properties, long texts cut short."""
    shown: dict[str, Any] = {}
    for key, value in (properties or {}).items():
        if len(shown) == PROPERTIES_SHOWN:
            break
        if isinstance(value, str):
            shown[str(key)] = value[:TEXT_SHOWN]
        elif isinstance(value, bool | int | float) or value is None:
            shown[str(key)] = value
    return shown


def plain_number(value: float) -> float | int:
    """A score for people: whole numbers without ".0", others to one decimal."""
    rounded = round(value, 1)
    return int(rounded) if rounded.is_integer() else rounded


def _when(value: datetime | None, *, iso: bool) -> str:
    if value is None:
        return ""
    utc = value.astimezone(UTC)
    return utc.isoformat() if iso else utc.strftime("%Y-%m-%d %H:%M UTC")


def _dated(rows: list[dict[str, Any]], *, iso: bool) -> list[dict[str, Any]]:
    return [row | {"at": _when(row["at"], iso=iso)} for row in rows]


def _person(lead: Contact) -> dict[str, Any]:
    return {
        "id": lead.id,
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "full_name": lead.full_name,
        "locale": lead.locale,
        "timezone": lead.timezone,
        "status": lead.status,
        "tags": list(lead.tags or []),
        "attributes": dict(lead.attributes or {}),
    }


def notification_context(
    lead: Contact, rules: ScoringRules, history: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """What the ``lead-handoff`` template shows the owner (times as readable UTC text)."""
    shown = {name: _dated(rows, iso=False) for name, rows in history.items()}
    for event in shown["events"]:
        properties = event.pop("properties")
        event["details"] = ", ".join(f"{k}: {v}" for k, v in properties.items())
    for change in shown["score_changes"]:
        change["points"] = plain_number(change["points"])
    for message in shown["messages"]:
        clicked, opened = message.pop("clicked"), message.pop("opened")
        message["engagement"] = "clicked" if clicked else "opened" if opened else ""
    return {
        "lead": _person(lead),
        "score": plain_number(lead.score),
        "threshold": plain_number(rules.threshold or 0),
        "owner": lead.owner,
        "hot_at": _when(lead.hot_at, iso=False),
        **shown,
    }


def webhook_payload(
    lead: Contact, rules: ScoringRules, history: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The JSON posted to the CRM (times in ISO 8601)."""
    return {
        "type": "lead.hot",
        "contact": _person(lead),
        "score": round(lead.score, 3),
        "threshold": rules.threshold,
        "owner": lead.owner,
        "hot_at": _when(lead.hot_at, iso=True),
        "history": {name: _dated(rows, iso=True) for name, rows in history.items()},
    }
