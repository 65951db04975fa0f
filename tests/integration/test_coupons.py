"""Coupons on SQLite and PostgreSQL: issuing, pools, template values, imports, redemption."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection, transaction
from django.utils import timezone

from goteo.actions import coupons as coupon_actions
from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.coupons import (
    CouponPoolEmpty,
    coupon_context,
    import_pool,
    issue_coupon,
    pool_counts,
    redeem_from_events,
)
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Coupon, Enrollment
from goteo.cli import main
from goteo.contacts.event_facts import EventFact
from goteo.content.checks import check_template
from goteo.engine.coupon_spec import DEFAULT_ALPHABET, CouponSpec

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CAMPAIGN = """
key: carts
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello</p>"}
"""
GENERATED = CouponSpec(prefix="CART-", length=8, percent_off=Decimal(10), expires_in=timedelta(7))
POOLED = CouponSpec(pool="spring", expires_in=timedelta(days=14))

pytestmark = pytest.mark.django_db


def journeys(count: int) -> list[Enrollment]:
    """``count`` contacts enrolled in the ``carts`` campaign."""
    do_apply_campaign(CAMPAIGN)
    ids = [do_upsert_contact({"email": f"c{i}@example.com"}).contact.id for i in range(count)]
    do_enroll("carts", ids, NOW)
    return list(Enrollment.objects.order_by("contact_id"))


def issue(
    spec: CouponSpec, journey: Enrollment, step: str = "offer", now: datetime = NOW
) -> Coupon:
    return issue_coupon(
        spec,
        contact_id=journey.contact_id,
        campaign_id=journey.campaign_id,
        enrollment_id=journey.id,
        step_id=step,
        now=now,
    )


def purchase(
    event_id: int, contact_id: int | None, code: str, at: datetime = NOW, name: str = "purchase"
) -> EventFact:
    return EventFact(event_id, contact_id, name, at, {"coupon": code, "value": 20})


def test_a_generated_code_is_issued_once_per_enrollment_and_step() -> None:
    first, second = journeys(2)
    coupon = issue(GENERATED, first)
    assert coupon.code.startswith("CART-") and len(coupon.code) == 13
    assert set(coupon.code[5:]) <= set(DEFAULT_ALPHABET)
    assert (coupon.contact_id, coupon.campaign_id, coupon.step_id) == (
        first.contact_id,
        first.campaign_id,
        "offer",
    )
    assert coupon.expires_at == NOW + timedelta(days=7)
    assert coupon.percent_off == Decimal(10) and coupon.issued_at == NOW

    assert issue(GENERATED, first).id == coupon.id  # the step ran again: the same code
    others = {issue(GENERATED, first, "later").code, issue(GENERATED, second).code}
    assert coupon.code not in others and len(others) == 2
    assert Coupon.objects.count() == 3


def test_a_clashing_code_is_drawn_again_without_breaking_the_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (journey,) = journeys(1)
    Coupon.objects.create(code="CART-TAKEN", created_at=NOW)
    drawn = iter(["CART-TAKEN", "CART-TAKEN", "CART-FRESH1"])
    monkeypatch.setattr(coupon_actions, "new_code", lambda spec: next(drawn))
    with transaction.atomic():
        coupon = issue(GENERATED, journey)
        # The outer transaction is still usable after the two refused inserts.
        assert Coupon.objects.filter(code="CART-TAKEN").count() == 1
    assert coupon.code == "CART-FRESH1"
    assert Coupon.objects.get(enrollment=journey).code == "CART-FRESH1"


def test_pool_codes_are_drawn_one_each_until_the_pool_is_empty() -> None:
    first, second, third = journeys(3)
    report = import_pool("spring", ["SPRING-AAAA", "SPRING-BBBB"], NOW)
    assert (report.imported, report.rejected) == (2, [])
    a, b = issue(POOLED, first), issue(POOLED, second)
    assert {a.code, b.code} == {"SPRING-AAAA", "SPRING-BBBB"}
    assert a.contact_id == first.contact_id and a.expires_at == NOW + timedelta(days=14)
    assert issue(POOLED, first).code == a.code  # idempotent for a drawn code too
    with transaction.atomic():
        with pytest.raises(CouponPoolEmpty) as caught:
            issue(POOLED, third)
        assert caught.value.pool == "spring"
        assert "goteo coupons import" in str(caught.value)
        assert Coupon.objects.filter(contact__isnull=True).count() == 0  # still usable
    counts = pool_counts("spring", NOW)
    assert counts == [{"pool": "spring", "free": 0, "issued": 2, "redeemed": 0, "expired": 0}]


def test_the_template_values_of_a_coupon() -> None:
    (journey,) = journeys(1)
    percent = coupon_context(issue(CouponSpec(percent_off=Decimal("12.50")), journey))
    assert set(percent) == {"code", "percent_off", "discount"}
    assert (percent["percent_off"], percent["discount"]) == ("12.5", "12.5%")
    amount_spec = CouponSpec(
        amount_off=Decimal(5), currency="EUR", expires_in=timedelta(days=7, hours=3)
    )
    amount = coupon_context(issue(amount_spec, journey, "second"))
    assert amount == {
        "code": amount["code"],
        "expires_at": "2026-03-09T13:00:00+00:00",
        "expires_on": "2026-03-09",
        "amount_off": "5.00",
        "currency": "EUR",
        "discount": "5.00 EUR",
    }
    json.dumps(amount)  # stored with the delivery as JSON


def test_templates_may_use_the_coupon_and_the_trigger_event() -> None:
    good = "Use {{ coupon.code }} ({{ coupon.discount }}) by {{ coupon.expires_on }}: " + (
        "{{ event.properties.cart_url }} {{ event.name }}"
    )
    assert check_template("html", good) == []
    assert check_template("text", "{{ coupon.cod }}") == [
        "unknown variable coupon.cod (did you mean coupon.code?) (line 1 of the template)"
    ]


def test_an_import_rejects_bad_and_repeated_codes_by_line_and_takes_the_rest() -> None:
    Coupon.objects.create(code="OLD-CODE", pool="autumn", created_at=NOW)
    lines = [
        "id,code,note\n",
        "1,GOOD-0001,x\n",
        "2,good-0001,same code in another case\n",
        "\n",
        "3,bad code,\n",
        "4,old-code,\n",
        "5,GOOD-0002,\n",
        "6,AB,\n",
    ]
    report = import_pool("spring", lines, NOW)
    assert report.imported == 2
    assert [(r.line, r.code, r.reason) for r in report.rejected] == [
        (3, "good-0001", "repeats line 2"),
        (5, "bad code", "not a code: 4 to 64 letters, digits, '-' or '_'"),
        (6, "old-code", "already stored"),
        (8, "AB", "not a code: 4 to 64 letters, digits, '-' or '_'"),
    ]
    stored = Coupon.objects.filter(pool="spring").order_by("code").values_list("code", flat=True)
    assert list(stored) == ["GOOD-0001", "GOOD-0002"]


def test_redeeming_needs_the_owner_a_purchase_in_time_and_happens_once() -> None:
    first, second = journeys(2)
    mine = issue(GENERATED, first)
    theirs = issue(GENERATED, second)
    expired = issue(GENERATED, first, "old")
    late = NOW + timedelta(days=8)
    facts = [
        purchase(1, first.contact_id, mine.code.lower()),  # any case
        purchase(2, first.contact_id, mine.code),  # already redeemed by event 1
        purchase(3, first.contact_id, theirs.code),  # another contact's code
        purchase(4, first.contact_id, expired.code, at=late),  # after it expired
        purchase(5, first.contact_id, "NO-SUCH-CODE"),
        purchase(6, second.contact_id, theirs.code, name="added_to_cart"),  # not a purchase
        purchase(7, None, theirs.code),  # an anonymous visitor
    ]
    assert redeem_from_events(facts, NOW) == 1
    mine.refresh_from_db()
    assert (mine.redeemed_at, mine.redeemed_event_id) == (NOW, 1)
    assert not Coupon.objects.filter(redeemed_at__isnull=False).exclude(id=mine.id).exists()
    assert redeem_from_events([purchase(8, second.contact_id, f" {theirs.code} ")], NOW) == 1
    counts = {r["pool"]: r for r in pool_counts(None, late)}
    assert counts[""] == {"pool": "", "free": 0, "issued": 0, "redeemed": 2, "expired": 1}


def test_the_coupons_commands(tmp_path: Path) -> None:
    journeys(1)
    codes = tmp_path / "codes.txt"
    codes.write_text("SPRING-0001\nSPRING-0002\nSPRING-0001\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["coupons", "import", "spring", str(codes)])
    assert result.exit_code == 2, result.output  # some lines were rejected, the rest went in
    assert "spring: 2 code(s) imported, 1 rejected" in result.output
    assert f"{codes}:3: 'SPRING-0001': repeats line 1" in result.stderr
    clean = tmp_path / "more.csv"
    clean.write_text("code,note\nSPRING-0003,x\n", encoding="utf-8")
    more = runner.invoke(main, ["coupons", "import", "spring", str(clean), "--json"])
    assert more.exit_code == 0
    assert json.loads(more.output) == {"pool": "spring", "imported": 1, "rejected": []}
    issue(POOLED, Enrollment.objects.get(), now=timezone.now())  # the command counts at now
    listed = runner.invoke(main, ["coupons", "list", "--json"])
    assert json.loads(listed.output) == [
        {"pool": "spring", "free": 2, "issued": 1, "redeemed": 0, "expired": 0}
    ]
    bad = runner.invoke(main, ["coupons", "import", "Spring Sale", str(codes)])
    assert bad.exit_code == 1 and "invalid pool" in bad.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_draws_from_one_pool_never_share_a_code() -> None:
    enrolled = journeys(40)
    import_pool("spring", [f"SPRING-{i:04d}" for i in range(30)], NOW)
    halves = [enrolled[0::2], enrolled[1::2]]
    drawn: list[list[str]] = [[], []]
    empty: list[int] = [0, 0]
    start = threading.Barrier(2)

    def draw(n: int) -> None:
        try:
            start.wait()
            for journey in halves[n]:
                try:
                    with transaction.atomic():
                        drawn[n].append(issue(POOLED, journey).code)
                except CouponPoolEmpty:
                    empty[n] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=draw, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    codes = drawn[0] + drawn[1]
    assert len(codes) == 30 and len(set(codes)) == 30
    assert sum(empty) == 10
    assert Coupon.objects.filter(pool="spring", contact__isnull=True).count() == 0
    assert Coupon.objects.values("contact").distinct().count() == 30
