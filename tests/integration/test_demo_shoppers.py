"""The demo's shoppers: a contact buys once they have had the exposures their plan gives
them, as a purchase event through the events action at the journeys' time, and only once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.integration.flow_helpers import T0, add_contacts

from goteo.campaigns import journey_clock
from goteo.campaigns.exposures import Touch, record_touches
from goteo.campaigns.models import Conversion
from goteo.cli.demo_shoppers import Shoppers
from goteo.contacts.models import Event
from goteo.demo.shoppers import planned_purchase
from goteo.engine.clock import ManualClock

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = {"lines": ["Calle Mayor 8"], "city": "Toledo", "postal_code": "45001",
           "region": "Toledo", "country": "ES"}  # fmt: skip


def _buyer_and_not() -> tuple[str, str]:
    """A contact the plan makes buy, and one it never does."""
    emails = [f"c{n}@example.com" for n in range(200)]
    buys = next(e for e in emails if planned_purchase(e, "ES") is not None)
    never = next(e for e in emails if planned_purchase(e, "ES") is None)
    return buys, never


def _expose(contact_id: int, count: int, start: int = 0) -> None:
    record_touches([
        Touch(contact_id, "email", "sent", T0 + timedelta(hours=n), f"d:{contact_id}{n}")
        for n in range(start, start + count)
    ])  # fmt: skip


def test_a_contact_buys_after_their_planned_exposures_once() -> None:
    buys, never = _buyer_and_not()
    ids = add_contacts(*({"email": e, "postal_address": {"name": e, **ADDRESS}}
                         for e in (buys, never)))  # fmt: skip
    plan = planned_purchase(buys, "ES")
    assert plan is not None
    clock = ManualClock(T0 + timedelta(days=1))
    with journey_clock.running_on(clock):
        shoppers = Shoppers([buys, never])
        _expose(ids[buys], plan.after_exposures - 1)
        _expose(ids[never], 7)
        assert shoppers.step() == 0  # one exposure short of buying; the other never buys
        assert not Event.objects.filter(name="purchase").exists()
        _expose(ids[buys], 1, start=plan.after_exposures)
        assert shoppers.step() == 1
        assert shoppers.step() == 0  # bought once
        # A restarted demo plans the same purchase again; it is not stored twice.
        assert Shoppers([buys, never]).step() == 1
    [event] = Event.objects.filter(name="purchase")
    assert (event.contact_id, event.occurred_at) == (ids[buys], clock.now())
    assert event.properties["value"] == f"{plan.value:.2f}" and plan.currency == "EUR"
    [conversion] = Conversion.objects.all()
    assert (conversion.value, conversion.currency) == (plan.value, "EUR")
    assert conversion.value is not None and conversion.value >= Decimal("49.00")
