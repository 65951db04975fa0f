"""A/B significance from statsmodels: a two-proportion z-test between a variant and the
control, and the holdout's lift with a confidence interval (docs/measurement.md).

Pure arithmetic on counts: no Django, no database. statsmodels is imported when a result is
first computed, not with the web app (it brings pandas and scipy: tens of megabytes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ZTest:
    """Variant against control: the difference of conversion rates and whether it is real."""

    difference: float  # variant's rate minus control's
    z: float
    p_value: float  # two-sided
    significant: bool  # p_value < 1 - confidence


@dataclass(frozen=True)
class Lift:
    """Everyone who received messages against the holdout, who received nothing."""

    treated_rate: float
    holdout_rate: float
    difference: float  # treated_rate - holdout_rate, in points of rate
    low: float  # the confidence interval of the difference
    high: float
    relative: float | None  # difference / holdout_rate; None when the holdout never converted
    significant: bool  # the interval leaves out zero


def two_proportion_test(
    converted: int, enrolled: int, control_converted: int, control_enrolled: int, confidence: float
) -> ZTest | None:
    """The pooled two-proportion z-test; None when either group is empty or the test is
    undefined (nobody, or everybody, converted in both)."""
    from statsmodels.stats.proportion import proportions_ztest

    _check(confidence)
    if enrolled == 0 or control_enrolled == 0:
        return None
    pooled = (converted + control_converted) / (enrolled + control_enrolled)
    if pooled in (0.0, 1.0):
        return None
    z, p = proportions_ztest([converted, control_converted], [enrolled, control_enrolled])
    difference = converted / enrolled - control_converted / control_enrolled
    return ZTest(difference, float(z), float(p), float(p) < 1 - confidence)


def holdout_lift(
    converted: int, enrolled: int, holdout_converted: int, holdout_enrolled: int, confidence: float
) -> Lift | None:
    """The treated group's conversion rate over the holdout's, with Newcomb's hybrid score
    interval of the difference (his method 10); None when either group is empty."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check(confidence)
    if enrolled == 0 or holdout_enrolled == 0:
        return None
    low, high = confint_proportions_2indep(
        converted,
        enrolled,
        holdout_converted,
        holdout_enrolled,
        method="newcomb",
        compare="diff",
        alpha=1 - confidence,
    )
    treated, holdout = converted / enrolled, holdout_converted / holdout_enrolled
    difference = treated - holdout
    relative = difference / holdout if holdout else None
    return Lift(
        treated, holdout, difference, float(low), float(high), relative, low > 0 or high < 0
    )


def _check(confidence: float) -> None:
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence: between 0.5 and 1 (got {confidence})")
