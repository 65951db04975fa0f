"""A/B significance against published values: the two-proportion z-test worked by hand from
its textbook formula, and Newcomb's (1998) example (a) for the interval of a difference."""

from __future__ import annotations

import pytest

from goteo.campaigns.significance import holdout_lift, two_proportion_test


def test_two_proportion_z_test_matches_the_formula() -> None:
    # 45/100 against 30/100: pooled p = .375, se = sqrt(.375 * .625 * 2/100) = .068465,
    # z = .15 / .068465 = 2.1909, two-sided p = 2 * (1 - Phi(2.1909)) = .0285.
    test = two_proportion_test(45, 100, 30, 100, 0.95)
    assert test is not None
    assert test.z == pytest.approx(2.1909, abs=1e-4)
    assert test.p_value == pytest.approx(0.0285, abs=1e-4)
    assert test.difference == pytest.approx(0.15)
    assert test.significant
    strict = two_proportion_test(45, 100, 30, 100, 0.99)
    assert strict is not None and not strict.significant


def test_holdout_lift_is_newcombs_hybrid_score_interval() -> None:
    # Newcomb, Statistics in Medicine 17 (1998), table II, example (a): 56/70 - 48/80,
    # method 10: 0.0524 to 0.3339.
    lift = holdout_lift(56, 70, 48, 80, 0.95)
    assert lift is not None
    assert (round(lift.low, 4), round(lift.high, 4)) == (0.0524, 0.3339)
    assert lift.difference == pytest.approx(0.2)
    assert lift.relative == pytest.approx(0.2 / 0.6)
    assert lift.significant


def test_an_interval_across_zero_is_not_significant() -> None:
    lift = holdout_lift(11, 100, 10, 100, 0.95)
    assert lift is not None and lift.low < 0 < lift.high and not lift.significant
    assert holdout_lift(3, 50, 0, 50, 0.95) is not None
    none_converted = holdout_lift(3, 50, 0, 50, 0.95)
    assert none_converted is not None and none_converted.relative is None


def test_empty_or_degenerate_groups_have_no_result() -> None:
    assert two_proportion_test(0, 0, 5, 10, 0.95) is None
    assert two_proportion_test(0, 10, 0, 10, 0.95) is None  # nobody converted anywhere
    assert holdout_lift(5, 10, 0, 0, 0.95) is None
    with pytest.raises(ValueError, match="confidence"):
        two_proportion_test(1, 10, 2, 10, 95)
