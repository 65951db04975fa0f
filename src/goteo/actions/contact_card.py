"""The contact card: everything a person looking at one contact wants, as one typed value.

``goteo contacts show``, ``GET /api/v1/contacts/<email>`` and the data-rights export all read
a contact through ``contact_card``, and so will the web app: fields, attributes, tags, the
current lead score and owner, subscriptions, consent records and journeys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from goteo.actions.errors import ActionError
from goteo.actions.scoring import current_rules
from goteo.campaigns.models import Enrollment
from goteo.contacts.consent_export import consents_of
from goteo.contacts.fields import normalize_email
from goteo.contacts.models import Contact
from goteo.engine.scoring import decayed
from goteo.engine.state import EnrollmentState


@dataclass(frozen=True)
class Subscribed:
    topic: str
    since: datetime


@dataclass(frozen=True)
class ConsentRecord:
    """Proof of one subscription (the columns of ``goteo consent export``, but the email)."""

    form: str | None
    topics: list[str]
    source: str
    ip: str | None
    user_agent: str
    consent_version: str | None
    consent_text: str | None  # the exact wording agreed to
    submitted_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True)
class Journey:
    """One enrollment: which campaign, where it is now, and how it ended."""

    id: int
    campaign: str
    version: int
    status: str  # active, completed, exited, converted
    step: str | None  # the step it runs next; None once ended
    steps_run: tuple[str, ...]
    variant: str  # the A/B group of the campaign's first split ("holdout": nothing sent)
    enrolled_at: datetime
    due_at: datetime | None
    ended_at: datetime | None
    end_reason: str


@dataclass(frozen=True)
class ContactCard:
    id: int
    email: str
    first_name: str
    last_name: str
    locale: str
    timezone: str
    phone: str  # E.164; empty: none
    sms_consent: str  # granted, withdrawn; empty: never asked
    status: str
    attributes: dict[str, Any]
    postal_address: dict[str, Any]
    tags: tuple[str, ...]
    score: float  # the current lead score (decayed to now)
    owner: str  # the salesperson's email; empty: nobody
    hot_at: datetime | None
    paused_until: datetime | None
    soft_bounces: int
    created_at: datetime
    updated_at: datetime
    subscriptions: tuple[Subscribed, ...]
    consents: tuple[ConsentRecord, ...]  # oldest first
    journeys: tuple[Journey, ...]  # oldest first

    def person(self) -> dict[str, Any]:
        """The contact's own fields, without subscriptions, consents and journeys."""
        own = (
            f.name for f in fields(self) if f.name not in ("subscriptions", "consents", "journeys")
        )
        return {name: getattr(self, name) for name in own} | {
            "tags": list(self.tags),
            "attributes": dict(self.attributes),
        }

    def as_json(self) -> dict[str, Any]:
        """The card as the API and ``--json`` print it (subscriptions as topic keys)."""
        return self.person() | {
            "subscriptions": [s.topic for s in self.subscriptions],
            "consents": [asdict(c) for c in self.consents],
            "journeys": [asdict(j) | {"steps_run": list(j.steps_run)} for j in self.journeys],
        }


def find_contact(email: str) -> Contact:
    """The contact with this address (trimmed, any case); ActionError naming ``email``."""
    try:
        normalized = normalize_email(email)
    except ValueError as exc:
        raise ActionError("not an email address", {"email": str(exc)}) from None
    contact = Contact.objects.filter(email=normalized).first()
    if contact is None:
        raise ActionError("no such contact", {"email": f"{email!r} is not a contact"})
    return contact


def score_half_life() -> timedelta | None:
    """How fast scores decay under the applied scoring rules (None: they do not)."""
    rules = current_rules()
    return rules.half_life if rules else None


def current_score(
    score: float, since: datetime | None, now: datetime, half_life: timedelta | None
) -> float:
    return round(decayed(score, since, now, half_life), 3)


def contact_card(email: str, now: datetime) -> ContactCard:
    """The card of the contact with this address, its score as of ``now``."""
    return card_of(find_contact(email), now)


def card_of(contact: Contact, now: datetime) -> ContactCard:
    topics = contact.subscriptions.order_by("topic").values_list("topic", "created_at")
    return ContactCard(
        id=contact.id,
        email=contact.email,
        first_name=contact.first_name,
        last_name=contact.last_name,
        locale=contact.locale,
        timezone=contact.timezone,
        phone=contact.phone,
        sms_consent=contact.sms_consent,
        status=contact.status,
        attributes=dict(contact.attributes),
        postal_address=dict(contact.postal_address),
        tags=tuple(contact.tags),
        score=current_score(contact.score, contact.score_updated_at, now, score_half_life()),
        owner=contact.owner,
        hot_at=contact.hot_at,
        paused_until=contact.paused_until,
        soft_bounces=contact.soft_bounces,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        subscriptions=tuple(Subscribed(topic, since) for topic, since in topics),
        consents=tuple(ConsentRecord(**row) for row in consents_of(contact.id)),
        journeys=journeys_of(contact.id),
    )


def journeys_of(contact_id: int) -> tuple[Journey, ...]:
    rows = (
        Enrollment.objects.filter(contact_id=contact_id)
        .order_by("id")
        .values(
            "id",
            "campaign__key",
            "version__number",
            "status",
            "state",
            "variant",
            "enrolled_at",
            "due_at",
            "ended_at",
            "end_reason",
        )
    )
    return tuple(_journey(row, EnrollmentState.from_json(row["state"])) for row in rows)


def _journey(row: Mapping[str, Any], state: EnrollmentState) -> Journey:
    return Journey(
        id=row["id"],
        campaign=row["campaign__key"],
        version=row["version__number"],
        status=row["status"],
        step=state.position,
        steps_run=state.steps_run,
        variant=row["variant"],
        enrolled_at=row["enrolled_at"],
        due_at=row["due_at"] if row["status"] == "active" else None,
        ended_at=row["ended_at"],
        end_reason=row["end_reason"],
    )
