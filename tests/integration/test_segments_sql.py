"""Segments in SQL agree with the Python evaluator, on SQLite and on PostgreSQL.

The property tests store contacts and events, generate conditions, and hold
``Contact.objects.filter(condition_q(c, NOW))`` to exactly the contacts for which
``evaluate(c, facts, NOW)`` is true (and ``where_q`` to ``matches_where``). The examples after
them show the rules on readable cases.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from tests.integration import condition_strategies as pools
from tests.integration.condition_strategies import (
    ATTRIBUTE_NAMES,
    NOW,
    OFFSETS,
    PROPERTY_NAMES,
    conditions,
    contacts,
    wheres,
)

from goteo.campaigns.models import Exposure
from goteo.contacts.models import Contact, Event
from goteo.contacts.segments import condition_q, where_q
from goteo.engine.conditions import (
    Condition,
    EventRecord,
    ExposureRecord,
    Facts,
    evaluate,
    matches_where,
    parse_condition,
    parse_where,
)

pytestmark = pytest.mark.django_db
PROPERTY = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIELDS = ("email", "first_name", "last_name", "locale", "timezone", "status", "owner")


def store(people: list[dict[str, Any]]) -> None:
    """Store contacts, their events and exposures exactly as given (created_at included)."""
    for i, person in enumerate(people):
        data = {
            k: v
            for k, v in person.items()
            if k not in ("events", "exposures", "created_at", "email")
        }
        contact = Contact.objects.create(email=f"{person['email']}{i}@Example.com", **data)
        Contact.objects.filter(pk=contact.pk).update(created_at=person["created_at"])
        Event.objects.bulk_create(
            Event(contact=contact, received_at=e["occurred_at"], **e) for e in person["events"]
        )
        Exposure.objects.bulk_create(
            Exposure(contact=contact, kind="sent", dedupe_key=f"t:{n}", **x)
            for n, x in enumerate(person.get("exposures", []))
        )


def facts_by_id() -> dict[int, Facts]:
    """What the engine would be given for each stored contact, read back from the database."""
    events: dict[int, list[EventRecord]] = {}
    for e in Event.objects.all():
        assert e.contact_id is not None
        events.setdefault(e.contact_id, []).append(EventRecord(e.name, e.properties, e.occurred_at))
    exposures: dict[int, list[ExposureRecord]] = {}
    for x in Exposure.objects.all():
        exposures.setdefault(x.contact_id, []).append(ExposureRecord(x.channel, x.occurred_at))
    return {
        c.pk: Facts(
            {f: getattr(c, f) for f in (*FIELDS, "score", "tags", "created_at", "attributes")},
            events.get(c.pk, []),
            exposures.get(c.pk, []),
        )
        for c in Contact.objects.all()
    }


def parsed(raw: dict[str, Any]) -> Condition:
    condition, problems = parse_condition(raw, "if")
    assert problems == [] and condition is not None, problems
    return condition


def assert_agree(raw: dict[str, Any], facts: dict[int, Facts]) -> None:
    note(repr(raw))
    condition = parsed(raw)
    in_sql = set(Contact.objects.filter(condition_q(condition, NOW)).values_list("pk", flat=True))
    in_python = {pk for pk, f in facts.items() if evaluate(condition, f, NOW)}
    assert in_sql == in_python
    event("matches " + ("none" if not in_python else "all" if in_python == set(facts) else "some"))


def population(seed: int, size: int) -> list[dict[str, Any]]:
    """A varied, reproducible population drawn from the same pools as the generated ones."""
    rng = random.Random(seed)

    def json_object(names: list[str]) -> dict[str, Any]:
        scalars: list[Any] = [*pools.WORDS, *pools.NUMBERS, True, False, None, ""]
        shapes: list[Any] = [[], {}, {"k": "es"}, ["es", 10, True], ["Pro", ""], [5]]
        return {n: rng.choice(scalars + shapes) for n in names if rng.random() < 0.7}

    people = []
    for _ in range(size):
        people.append(
            {
                **{f: rng.choice([*pools.WORDS, "", ""]) for f in FIELDS if f != "email"},
                "email": rng.choice(["ana", "Ana", "ñandú", "a_b"]),
                "score": float(rng.choice(pools.NUMBERS)),
                "tags": rng.sample(pools.WORDS, rng.randint(0, 3)),
                "created_at": NOW - rng.choice(OFFSETS),
                "attributes": json_object(ATTRIBUTE_NAMES),
                "events": [
                    {
                        "name": rng.choice(pools.EVENT_NAMES),
                        "properties": json_object(PROPERTY_NAMES),
                        "occurred_at": NOW - rng.choice(OFFSETS),
                    }
                    for _ in range(rng.randint(0, 6))
                ],
                "exposures": [
                    {
                        "channel": rng.choice(pools.EXPOSURE_CHANNELS),
                        "occurred_at": NOW - rng.choice(OFFSETS),
                    }
                    for _ in range(rng.randint(0, 12))
                ],
            }
        )
    return people


def test_generated_conditions_select_the_same_contacts_in_sql_and_python() -> None:
    store(population(seed=29, size=60))
    facts = facts_by_id()

    @PROPERTY
    @given(conditions())
    def agree(raw: dict[str, Any]) -> None:
        assert_agree(raw, facts)

    agree()


def test_generated_where_filters_select_the_same_events_in_sql_and_python() -> None:
    store(population(seed=3, size=30))
    events = list(Event.objects.all())
    assert len(events) > 40

    @PROPERTY
    @given(wheres())
    def agree(raw: dict[str, Any]) -> None:
        note(repr(raw))
        where, problems = parse_where(raw, "where")
        assert where is not None, problems
        in_sql = set(Event.objects.filter(where_q(where)).values_list("pk", flat=True))
        assert in_sql == {e.pk for e in events if matches_where(where, e.properties)}

    agree()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(contacts(), min_size=1, max_size=6),
    st.lists(conditions(), min_size=1, max_size=5),
)
def test_generated_populations_agree(people: list[dict[str, Any]], raws: list[Any]) -> None:
    Contact.objects.all().delete()
    store(people)
    facts = facts_by_id()
    for raw in raws:
        assert_agree(raw, facts)


# -- examples ----------------------------------------------------------------------------------


def matching(raw: dict[str, Any]) -> set[str]:
    condition = parsed(raw)
    emails = Contact.objects.filter(condition_q(condition, NOW)).values_list("email", flat=True)
    return {e.split("@")[0] for e in emails}


def contact(name: str, *, days_old: float = 100, **fields: Any) -> Contact:
    person = Contact.objects.create(email=f"{name}@example.com", **fields)
    created = NOW - timedelta(days=days_old)
    Contact.objects.filter(pk=person.pk).update(created_at=created)
    return person


def occurred(person: Contact, name: str, days_ago: float, **properties: Any) -> None:
    at = NOW - timedelta(days=days_ago)
    Event.objects.create(
        contact=person, name=name, properties=properties, occurred_at=at, received_at=at
    )


def test_text_is_compared_exactly_never_case_insensitively() -> None:
    contact("upper", first_name="ÑANDÚ", locale="ES", attributes={"city": "İstanbul"})
    contact("lower", first_name="ñandú", locale="es", attributes={"city": "istanbul"})
    contact("wild", first_name="a%b_c", locale="", attributes={"city": "x"})
    assert matching({"locale": "es"}) == {"lower"}
    assert matching({"first_name": {"contains": "AND"}}) == {"upper"}
    assert matching({"first_name": {"starts_with": "ñ"}}) == {"lower"}
    assert matching({"first_name": {"contains": "%"}}) == {"wild"}
    assert matching({"first_name": {"contains": "_"}}) == {"wild"}
    assert matching({"attributes.city": {"ends_with": "stanbul"}}) == {"upper", "lower"}
    assert matching({"attributes.city": {"starts_with": "i"}}) == {"lower"}
    assert matching({"email": {"ends_with": "@example.com"}}) == {"upper", "lower", "wild"}


def test_empty_text_is_missing_and_missing_fails_every_operator_but_exists_false() -> None:
    contact("set", locale="fr", attributes={"plan": "pro"})
    contact("unset", locale="", attributes={"plan": None})
    contact("blank", locale="", attributes={"plan": ""})
    assert matching({"locale": {"not_equals": "es"}}) == {"set"}
    assert matching({"locale": {"not_in": ["es"]}}) == {"set"}
    assert matching({"not": {"locale": "es"}}) == {"set", "unset", "blank"}
    assert matching({"locale": {"exists": False}}) == {"unset", "blank"}
    assert matching({"attributes.plan": {"not_equals": "team"}}) == {"set"}
    assert matching({"attributes.plan": {"exists": False}}) == {"unset", "blank"}
    assert matching({"attributes.other": {"exists": False}}) == {"set", "unset", "blank"}


def test_json_values_compare_by_kind() -> None:
    contact("text", attributes={"n": "10", "flag": "true"})
    contact("int", attributes={"n": 10, "flag": True})
    contact("float", attributes={"n": 10.0, "flag": 1})
    contact("list", attributes={"n": [10, "pro"], "flag": [True]})
    assert matching({"attributes.n": 10}) == {"int", "float"}
    assert matching({"attributes.n": "10"}) == {"text"}
    assert matching({"attributes.n": {"gt": 5}}) == {"int", "float"}
    assert matching({"attributes.flag": True}) == {"int"}
    assert matching({"attributes.flag": {"in": [1, "true"]}}) == {"text", "float"}
    assert matching({"attributes.n": {"contains": 10}}) == {"list"}
    assert matching({"attributes.n": {"contains": "1"}}) == {"text"}
    assert matching({"attributes.flag": {"contains": True}}) == {"list"}


def test_score_tags_and_created_at() -> None:
    contact("new", days_old=2, score=75, tags=["vip", "press"])
    contact("old", days_old=45, score=20.5, tags=["VIP"])
    contact("none", days_old=30, score=0, tags=[])
    assert matching({"score": {"gte": 20.5, "lt": 75}}) == {"old"}
    assert matching({"tags": {"contains": "vip"}}) == {"new"}
    assert matching({"tags": {"exists": False}}) == {"none"}
    assert matching({"created_at": {"before": "30d"}}) == {"old"}
    assert matching({"created_at": {"after": "30d"}}) == {"new", "none"}  # the boundary is after


def test_event_history_with_where_within_and_count() -> None:
    buyer = contact("buyer")
    browser = contact("browser")
    contact("nobody")
    occurred(buyer, "purchase", 40, total=120)
    occurred(buyer, "added_to_cart", 1)
    occurred(buyer, "added_to_cart", 3)
    occurred(browser, "page_view", 2, url="/pricing/teams")
    occurred(browser, "page_view", 10, url="/Pricing")
    occurred(browser, "added_to_cart", 20)
    occurred(browser, "purchase", -1)  # in the future: not yet
    assert matching({"event": "purchase"}) == {"buyer"}
    assert matching({"event": "purchase", "within": "30d"}) == set()
    pricing = {"event": "page_view", "where": {"url": {"contains": "/pricing"}}, "within": "7d"}
    assert matching(pricing) == {"browser"}
    assert matching({**pricing, "within": "1d"}) == set()
    cart = {"event": "added_to_cart", "within": "30d"}
    assert matching({**cart, "count": {"gte": 2}}) == {"buyer"}
    assert matching({**cart, "count": 1}) == {"browser"}
    assert matching({**cart, "count": 0}) == {"nobody"}
    assert matching({**cart, "count": {"lt": 2}}) == {"browser", "nobody"}
    assert matching({"event": "purchase", "where": {"total": {"gt": 100}}}) == {"buyer"}


def exposed(person: Contact, channel: str, days_ago: float) -> None:
    key = f"t:{Exposure.objects.count()}"
    at = NOW - timedelta(days=days_ago)
    Exposure.objects.create(
        contact=person, channel=channel, kind="sent", dedupe_key=key, occurred_at=at
    )


def test_exposures_with_count_within_and_channel() -> None:
    many, few = contact("many"), contact("few")
    contact("nobody")
    for days in range(12):
        exposed(many, "email", days + 0.5)
    exposed(many, "mail", 40)
    exposed(few, "sms", 2)
    exposed(few, "email", -1)  # expected in home tomorrow: not yet
    assert matching({"exposures": {}}) == {"many", "few"}
    assert matching({"exposures": {"count": {"gte": 10}, "within": "30d"}}) == {"many"}
    assert matching({"exposures": {"count": {"gte": 10}, "within": "7d"}}) == set()
    assert matching({"exposures": {"channel": "email", "within": "7d", "count": 7}}) == {"many"}
    assert matching({"exposures": {"channel": ["sms", "mail"]}}) == {"many", "few"}
    assert matching({"exposures": {"channel": "email", "count": 0}}) == {"few", "nobody"}


def test_combinators_and_several_keys_in_one_mapping() -> None:
    contact("a", locale="es", score=60, attributes={"plan": "pro"})
    contact("b", locale="es", score=10, attributes={"plan": "team"})
    contact("c", locale="fr", score=90)
    assert matching({"locale": "es", "score": {"gte": 50}}) == {"a"}
    assert matching({"any": [{"locale": "fr"}, {"attributes.plan": "team"}]}) == {"b", "c"}
    assert matching({"all": [{"locale": "es"}, {"not": {"attributes.plan": "pro"}}]}) == {"b"}
    assert matching({"not": {"attributes.plan": {"exists": True}}}) == {"c"}
