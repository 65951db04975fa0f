"""The ``coupon`` of a send step: defaults, generated and pool forms, every problem by path."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from goteo.engine.coupon_spec import DEFAULT_ALPHABET, CouponSpec, parse_coupon_spec

PATH = "steps[3].coupon"


def problems(raw: Any) -> list[tuple[str, str]]:
    spec, found = parse_coupon_spec(raw, PATH)
    assert (spec is None) == bool(found)
    return found


def test_a_generated_coupon_takes_the_defaults() -> None:
    spec, found = parse_coupon_spec({"percent_off": 10, "expires_in": "7d"}, PATH)
    assert found == []
    assert spec == CouponSpec(
        prefix="",
        length=8,
        alphabet=DEFAULT_ALPHABET,
        percent_off=Decimal(10),
        expires_in=timedelta(days=7),
    )
    assert spec.generated
    assert not set("0O1I") & set(DEFAULT_ALPHABET)


def test_every_generation_key_is_read() -> None:
    raw = {
        "prefix": "CART-",
        "length": 12,
        "alphabet": "ABCDEFGHJK",
        "amount_off": "5.50",
        "currency": "eur",
    }
    spec, found = parse_coupon_spec(raw, PATH)
    assert found == []
    assert spec is not None
    assert (spec.prefix, spec.length, spec.alphabet) == ("CART-", 12, "ABCDEFGHJK")
    assert (spec.amount_off, spec.currency, spec.percent_off) == (Decimal("5.50"), "EUR", None)
    assert spec.expires_in is None


def test_a_pool_coupon_needs_no_discount_and_refuses_generation_keys() -> None:
    spec, found = parse_coupon_spec({"pool": "spring-sale", "expires_in": "14d"}, PATH)
    assert found == []
    assert spec is not None
    assert (spec.pool, spec.expires_in, spec.generated) == (
        "spring-sale",
        timedelta(days=14),
        False,
    )
    assert problems({"pool": "spring-sale", "prefix": "X-", "length": 8}) == [
        (f"{PATH}.prefix", "pool codes are imported, not generated: leave it out with pool"),
        (f"{PATH}.length", "pool codes are imported, not generated: leave it out with pool"),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"percent_off": 10, "length": 5}, (f"{PATH}.length", "must be between 6 and 32")),
        ({"percent_off": 10, "length": 33}, (f"{PATH}.length", "must be between 6 and 32")),
        ({"percent_off": 10, "length": "8"}, (f"{PATH}.length", "'8' is not a whole number")),
        ({"percent_off": 10, "length": True}, (f"{PATH}.length", "True is not a whole number")),
        ({"percent_off": 0}, (f"{PATH}.percent_off", "must be more than 0 and at most 100")),
        ({"percent_off": 100.5}, (f"{PATH}.percent_off", "must be more than 0 and at most 100")),
        ({"percent_off": 12.345}, (f"{PATH}.percent_off", "at most 2 decimal places")),
        ({"percent_off": "ten"}, (f"{PATH}.percent_off", "'ten' is not a number in range")),
        ({"amount_off": 5}, (f"{PATH}.currency", "amount_off needs a currency (like EUR)")),
        (
            {"amount_off": 5, "currency": "EURO"},
            (f"{PATH}.currency", "'EURO' is not an ISO 4217 code (EUR)"),
        ),
        (
            {"percent_off": 5, "currency": "EUR"},
            (f"{PATH}.currency", "a currency goes with amount_off"),
        ),
        (
            {"percent_off": 5, "amount_off": 5, "currency": "EUR"},
            (f"{PATH}.amount_off", "give percent_off or amount_off, not both"),
        ),
        (  # one mistake: no knock-on "amount_off needs a currency"
            {"percent_off": 5, "amount_off": 5},
            (f"{PATH}.amount_off", "give percent_off or amount_off, not both"),
        ),
        ({"expires_in": "7d"}, (PATH, "a generated coupon needs percent_off or amount_off")),
        (
            {"percent_off": 5, "expires_in": "a week"},
            (
                f"{PATH}.expires_in",
                "'a week' is not a duration (use forms like 30m, 4h, 2d, 1w)",
            ),
        ),
        ({"percent_off": 5, "colour": "red"}, (f"{PATH}.colour", "unknown key for a coupon")),
        (
            {"percent_off": 5, "alphabet": "abcdefghjk"},
            (
                f"{PATH}.alphabet",
                "must be uppercase letters and digits only (codes match in any case)",
            ),
        ),
        (
            {"percent_off": 5, "alphabet": "ABCDEFGHJA"},
            (f"{PATH}.alphabet", "has a character more than once"),
        ),
        (
            {"percent_off": 5, "alphabet": "ABC"},
            (f"{PATH}.alphabet", "needs at least 10 characters"),
        ),
        (
            {"percent_off": 5, "prefix": "CART 1"},
            (f"{PATH}.prefix", "must be letters, digits, '-' or '_'"),
        ),
        (
            {"percent_off": 5, "prefix": "P" * 40, "length": 30},
            (f"{PATH}.prefix", "prefix and length together exceed 64"),
        ),
        (
            {"pool": "Spring Sale"},
            (
                f"{PATH}.pool",
                "'Spring Sale' must be a pool key: lowercase letters, digits, '-' or '_'",
            ),
        ),
    ],
)
def test_each_problem_is_named_by_its_full_path(
    raw: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert problems(raw) == [expected]


def test_not_a_mapping() -> None:
    assert problems("10%") == [
        (PATH, "a coupon must be a mapping such as {percent_off: 10, expires_in: 7d} "
               "or {pool: spring-sale}"),
    ]  # fmt: skip


def test_all_problems_are_reported_together() -> None:
    found = problems({"length": 2, "percent_off": 101, "expires_in": "soon", "x": 1})
    assert [path for path, _ in found] == [
        f"{PATH}.x",
        f"{PATH}.percent_off",
        f"{PATH}.expires_in",
        f"{PATH}.length",
    ]
