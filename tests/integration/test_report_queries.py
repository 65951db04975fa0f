"""The campaign read models' set-based queries against plain readings of the same rows.

Each reference below reads the rows one by one (as the reports did before their figures
were counted by the database) and must agree with the report on data built for the edge
cases: a goal event on its deadline to the microsecond, journeys entered twice, contacts
exposed but never enrolled, opens seen only as a count, clicks without an open.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q
from django.test.utils import CaptureQueriesContext

from goteo.campaigns.exposures import Touch, record_touches
from goteo.campaigns.funnel import funnels
from goteo.campaigns.models import Campaign, CampaignVersion, Delivery, Enrollment, Exposure
from goteo.campaigns.moment_sql import moment_plus
from goteo.campaigns.pace_report import campaign_pacing
from goteo.campaigns.reports import campaign_figures, campaign_report, variant_rows
from goteo.campaigns.versions import checksum
from goteo.contacts.models import Contact, Event

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
SOURCE = """
key: edge
name: Edge
goal: {event: purchase, within: 10d}
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello.</p>"}
"""

pytestmark = pytest.mark.django_db


def campaign(key: str = "edge") -> Campaign:
    row = Campaign.objects.create(key=key, name=key.title())
    source = SOURCE.replace("key: edge", f"key: {key}")
    version = CampaignVersion.objects.create(
        campaign=row, number=1, source=source, checksum=checksum(source)
    )
    Campaign.objects.filter(id=row.id).update(current_version=version)
    row.refresh_from_db()
    return row


def journey(of: Campaign, contact: Contact, at: datetime, variant: str = "", **kw: Any) -> int:
    assert of.current_version is not None
    return Enrollment.objects.create(
        contact=contact, campaign=of, version=of.current_version, state={}, enrolled_at=at,
        variant=variant, **kw,
    ).id  # fmt: skip


def event(contact: Contact, name: str, at: datetime) -> None:
    Event.objects.create(contact=contact, name=name, occurred_at=at, received_at=at)


def message(of: Campaign, contact: Contact, enrollment: int, step: str, **kw: Any) -> None:
    Delivery.objects.create(
        contact=contact, enrollment_id=enrollment, campaign=of, step_id=step, channel="email",
        template="hello", locale="en", next_attempt_at=T0, created_at=kw.pop("created_at", T0),
        **kw,
    )  # fmt: skip


def people(n: int) -> list[Contact]:
    return [Contact.objects.create(email=f"p{i}@example.com") for i in range(n)]


# The references: the rows read one by one.


def reference_variants(of: Campaign, names: set[str], within: timedelta) -> list[dict[str, Any]]:
    """Per group: journeys, and those with a goal event from entering to the deadline."""
    events = list(Event.objects.filter(name__in=names).values_list("contact_id", "occurred_at"))
    enrolled: Counter[str] = Counter()
    converted: Counter[str] = Counter()
    for contact, at, variant in Enrollment.objects.filter(campaign=of).values_list(
        "contact_id", "enrolled_at", "variant"
    ):
        enrolled[variant] += 1
        converted[variant] += any(c == contact and at <= e <= at + within for c, e in events)
    return [
        {
            "variant": v,
            "enrolled": enrolled[v],
            "converted": converted[v],
            "conversion_rate": round(converted[v] / enrolled[v], 4),
        }
        for v in sorted(enrolled)
    ]


def reference_variants_by_django(of: Campaign, names: set[str], within: timedelta) -> list[Any]:
    """The same groups through Django's own moment-plus-duration (a Python call per journey
    on SQLite): the query the report ran before."""
    deadline = ExpressionWrapper(OuterRef("enrolled_at") + within, output_field=DateTimeField())
    reached = Event.objects.filter(
        contact_id=OuterRef("contact_id"),
        name__in=names,
        occurred_at__gte=OuterRef("enrolled_at"),
        occurred_at__lte=deadline,
    )
    rows = (
        Enrollment.objects.filter(campaign=of)
        .annotate(reached=Exists(reached))
        .values("variant")
        .annotate(enrolled=Count("id"), converted=Count("id", filter=Q(reached=True)))
        .order_by("variant")
    )
    return [(r["variant"], r["enrolled"], r["converted"]) for r in rows]


def reference_exposures(of: Campaign) -> tuple[dict[str, int], int, int]:
    """Exposures per contact over the enrolled and the exposed: distribution, total, people."""
    mine = list(Exposure.objects.filter(campaign=of).values_list("contact_id", flat=True))
    enrolled = set(Enrollment.objects.filter(campaign=of).values_list("contact_id", flat=True))
    per_contact = Counter(mine)
    counts = Counter(per_contact.get(c, 0) for c in enrolled | set(per_contact))
    return (
        {str(n): counts[n] for n in sorted(counts)},
        sum(n * k for n, k in counts.items()),
        sum(counts.values()),
    )


def reference_reach(of: Campaign) -> dict[str, Any]:
    """Distinct contacts sent, opened (or clicked) and clicked, and messages sent."""
    sent, opened, clicked, messages = set(), set(), set(), 0
    for d in Delivery.objects.filter(campaign=of):
        if d.status != "sent":
            continue
        messages += 1
        sent.add(d.contact_id)
        if d.opened_at or d.opens or d.clicked_at:
            opened.add(d.contact_id)
        if d.clicked_at or d.clicks:
            clicked.add(d.contact_id)
    return {
        "contacts_sent": len(sent),
        "messages_sent": messages,
        "opened": len(opened),
        "clicked": len(clicked),
    }


# The edge cases.


@pytest.fixture
def edge() -> Campaign:
    """Goal events on either side of each journey's window, to the microsecond."""
    row = campaign()
    c = people(9)
    window = timedelta(days=10)
    fraction = T0 + timedelta(microseconds=999_999)  # SQLite's millisecond rounding's edge
    cases = [
        (c[0], T0, "purchase", T0 + window),  # on the deadline: in
        (c[1], T0, "purchase", T0 + window + US),  # a microsecond late: out
        (c[2], fraction, "signup", fraction + window),  # a fraction of a second: in
        (c[3], fraction, "signup", fraction + window + US),  # out
        (c[4], fraction, "purchase", fraction),  # the moment of entering: in
        (c[5], fraction, "purchase", fraction - US),  # just before entering: out
        (c[6], T0 + US, "page_view", T0 + DAY),  # not a goal event
    ]
    for i, (contact, at, name, when) in enumerate(cases):
        journey(row, contact, at, "ab"[i % 2])
        event(contact, name, when)
    # Entered twice: the first journey reached the goal, the second did not (yet).
    journey(row, c[7], T0, "holdout", status="completed")
    journey(row, c[7], T0 + 20 * DAY, "holdout")
    event(c[7], "purchase", T0 + 5 * DAY)
    journey(row, c[8], T0 + timedelta(microseconds=500_000), "")  # nothing happened
    return row


def test_the_groups_goal_reached_in_time_as_each_journey_read_alone(edge: Campaign) -> None:
    window = timedelta(days=10)
    found = variant_rows(edge, frozenset({"purchase", "signup"}), window)
    assert found == reference_variants(edge, {"purchase", "signup"}, window)
    assert [(r["variant"], r["enrolled"], r["converted"]) for r in found] == [
        ("", 1, 0),
        ("a", 4, 3),
        ("b", 3, 0),
        ("holdout", 2, 1),
    ]
    old = reference_variants_by_django(edge, {"purchase", "signup"}, window)
    assert old == [(r["variant"], r["enrolled"], r["converted"]) for r in found]


@pytest.mark.parametrize(
    "window", [timedelta(minutes=30), timedelta(hours=4), timedelta(days=2), timedelta(weeks=1)]
)
def test_every_window_the_durations_give(window: timedelta) -> None:
    row = campaign()
    for i, contact in enumerate(people(6)):
        at = T0 + timedelta(microseconds=[0, 1, 999_999, 500_000, 0, 250][i])
        journey(row, contact, at, "ab"[i % 2])
        event(contact, "purchase", at + window + (US if i % 3 == 0 else timedelta(0)))
    found = variant_rows(row, frozenset({"purchase"}), window)
    assert found == reference_variants(row, {"purchase"}, window)
    assert sum(r["converted"] for r in found) == 4


@pytest.mark.parametrize(
    "delta",
    [timedelta(days=10), timedelta(minutes=30), timedelta(days=-1), timedelta(microseconds=1500)],
)
def test_a_moment_plus_a_duration_computed_by_the_database(delta: timedelta) -> None:
    row = campaign()
    fractions = (0, 1, 999, 999_999, 500_000)
    for contact, micro in zip(people(5), fractions, strict=True):
        journey(row, contact, T0 + timedelta(seconds=59, microseconds=micro))
    found = Enrollment.objects.annotate(later=moment_plus("enrolled_at", delta))
    pairs = list(found.values_list("enrolled_at", "later"))
    assert len(pairs) == 5
    assert all(later == at + delta for at, later in pairs)


@pytest.fixture
def reach() -> Campaign:
    """Messages of every status; opens seen only as a count; clicks without an open; the
    same contact messaged by two journeys; exposures of contacts never enrolled."""
    row, other = campaign(), campaign("other")
    c = people(6)
    first, again = journey(row, c[0], T0), journey(row, c[0], T0 + DAY, status="completed")
    message(row, c[0], first, "hello", status="sent", sent_at=T0, opens=2)
    message(row, c[0], again, "hello", status="sent", sent_at=T0 + DAY, clicks=1)
    j1 = journey(row, c[1], T0)
    message(row, c[1], j1, "hello", status="sent", sent_at=T0, clicked_at=T0 + DAY)
    j2 = journey(row, c[2], T0)
    message(row, c[2], j2, "hello", status="suppressed", last_error="unsubscribed")
    message(row, c[2], j2, "later", status="failed", created_at=T0 - DAY)
    j3 = journey(row, c[3], T0, "holdout")
    message(row, c[3], j3, "hello", status="pending", opened_at=T0)  # not sent: not opened
    journey(other, c[4], T0)
    touches = [
        Touch(c[0].id, "email", "sent", T0, "d:1", campaign_id=row.id, step_id="hello"),
        Touch(c[0].id, "email", "sent", T0 + DAY, "d:2", campaign_id=row.id, step_id="hello"),
        Touch(c[0].id, "mail", "in_home", T0, "d:3", campaign_id=row.id, step_id="post"),
        Touch(c[1].id, "email", "sent", T0, "d:4", campaign_id=row.id, step_id="hello"),
        Touch(c[4].id, "email", "sent", T0, "d:5", campaign_id=other.id, step_id="hello"),
        Touch(c[5].id, "sms", "delivered", T0, "d:6", campaign_id=row.id, step_id="text"),
    ]
    record_touches(touches)
    return row


def test_the_reach_as_each_message_read_alone(reach: Campaign) -> None:
    figures = campaign_figures(reach)
    assert {k: figures[k] for k in reference_reach(reach)} == reference_reach(reach)
    assert (figures["contacts_sent"], figures["opened"], figures["clicked"]) == (2, 2, 2)
    steps = {s["step_id"]: s for s in figures["steps"]}
    assert (steps["hello"]["sent"], steps["hello"]["opened"], steps["hello"]["clicked"]) == (
        3,
        2,
        2,
    )
    assert steps["hello"]["suppressed"] == {"unsubscribed": 1}
    assert [s["step_id"] for s in figures["steps"]] == ["later", "hello"]  # first written
    (funnel,) = [f for f in funnels() if f.key == "edge"]
    assert funnel.stages() == [
        ("enrolled", 4),
        ("sent", 2),
        ("opened", 2),
        ("clicked", 2),
        ("converted", 0),
    ]


def test_the_exposures_per_contact_as_each_row_read_alone(reach: Campaign) -> None:
    exposures = campaign_report("edge")["exposures"]
    distribution, total, contacts = reference_exposures(reach)
    assert (exposures["distribution"], exposures["total"], exposures["contacts"]) == (
        distribution,
        total,
        contacts,
    )
    # c2 and c3 enrolled, never exposed; c5 exposed, never enrolled; c4 is another's.
    assert distribution == {"0": 2, "1": 2, "3": 1}
    assert exposures["by_channel"] == {"email": 3, "mail": 1, "sms": 1}
    assert exposures["mean"] == round(5 / 5, 2)


def test_a_campaign_without_pacing_reads_no_journey_for_it(reach: Campaign) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert campaign_pacing(reach, T0) is None
    assert [q["sql"] for q in queries if "goteo_enrollment" in q["sql"]] == []
