"""The demo's parts that need no database: its calendar moved to the present, the phone
numbers the outbox masks, the texts an SMS folder keeps, and who buys the course."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

from goteo.channels.sms.doubles import FolderSms
from goteo.channels.sms.message import OutgoingSms
from goteo.cli.demo_data import moved_calendar
from goteo.contacts.phones import masked_phone
from goteo.demo.shoppers import COURSE_EXPOSURES, Purchase, chance, planned_purchase
from goteo.engine.social_model import occurrences
from goteo.engine.social_parser import parse_calendar


def test_the_demo_calendar_moves_to_the_present_keeping_its_rhythm() -> None:
    source = resources.files("goteo.demo").joinpath("social-calendar.yaml").read_text("utf-8")
    before = occurrences(parse_calendar(source))
    first = datetime(2031, 7, 14, 18, 5, tzinfo=UTC)
    after = occurrences(parse_calendar(moved_calendar(source, first)))
    assert len(after) == len(before) > 6
    assert after[0].due_at == first
    shift = first - before[0].due_at
    assert [o.due_at - shift for o in after] == [o.due_at for o in before]
    assert {o.account.locale for o in after} == {"en", "es", "it", "pl", "fr", "ru"}
    assert [o.text for o in after] == [o.text for o in before]


def test_a_masked_number_keeps_its_country_and_last_two_digits() -> None:
    assert masked_phone("+34612345105") == "+34 ••••••• 05"
    assert masked_phone("+12125550101") == "+1 •••••••• 01"
    assert masked_phone("not a number") == "••••••••••er"


def test_an_sms_folder_lists_its_texts_newest_first(tmp_path: Path) -> None:
    folder = FolderSms(tmp_path)
    for delivery in (9, 11, 10):
        folder.send(OutgoingSms(delivery, "+48512345113", f"text {delivery} <b>", 1))
    (tmp_path / "goteo-sms-12.json").write_text("{not json", "utf-8")  # not one of ours
    (tmp_path / "notes.json").write_text("{}", "utf-8")
    kept = folder.kept(2)
    assert [(s.delivery_id, s.body) for s in kept] == [(11, "text 11 <b>"), (10, "text 10 <b>")]
    assert FolderSms(tmp_path / "none").kept(5) == []


def _plans(seed: str = "goteo-demo") -> dict[str, Purchase | None]:
    with resources.files("goteo.demo").joinpath("contacts.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["email"]: planned_purchase(r["email"], r["address_country"], seed) for r in rows}


def test_the_demo_contacts_buy_by_a_seeded_plan_most_of_them_late() -> None:
    plans = _plans()
    assert plans == _plans()  # the same on every run
    bought = [p for p in plans.values() if p is not None]
    assert (len(bought), len(plans)) == (16, 25)  # as the README says
    after = Counter(p.after_exposures for p in bought)
    assert min(after) >= 1 and max(after) <= COURSE_EXPOSURES
    assert sum(n for k, n in after.items() if k >= 6) > len(bought) / 2  # most buy late
    assert [chance(n) for n in range(1, 8)] == sorted(chance(n) for n in range(1, 8))
    assert plans != _plans("another seed")


def test_a_buyer_pays_in_the_currency_of_where_they_live() -> None:
    buyers = (f"c{n}@example.com" for n in range(1000))
    email = next(e for e in buyers if planned_purchase(e, "ES") is not None)
    spanish, american, polish = (planned_purchase(email, c) for c in ("ES", "US", "PL"))
    assert spanish is not None and american is not None and polish is not None
    assert (spanish.currency, american.currency, polish.currency) == ("EUR", "USD", "PLN")
    assert spanish.value == Decimal("49.00") * spanish.seats
    assert american.value == Decimal("55.00") * american.seats
    # Where they live changes the price, never whether or when they buy.
    assert spanish.after_exposures == american.after_exposures == polish.after_exposures
