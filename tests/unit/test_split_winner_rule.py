"""The auto-winner rule of a split: parsed with its lines, judged on counts with the
two-proportion test, and a decided split sends new arrivals to the winner (holdouts kept)."""

from __future__ import annotations

import textwrap
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from goteo.campaigns.winner_check import Tally, judge
from goteo.engine.advance import ContactView, advance
from goteo.engine.commands import Send
from goteo.engine.conditions import Facts
from goteo.engine.model import Campaign, SplitStep
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid
from goteo.engine.split_winners import with_winners
from goteo.engine.state import EXITED, EnrollmentState
from goteo.engine.steps import WinnerRule

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TEMPLATES = """
templates:
  a: {en: {subject: "A", html: "<p>a</p>"}}
  b: {en: {subject: "B", html: "<p>b</p>"}}
"""
DECLARED = """
steps:
  - id: pick
    split:
      variants:
        - {name: a, weight: 45, next: send-a}
        - {name: b, weight: 45, next: send-b}
        - {name: holdout, weight: 10, holdout: true}
      winner: {metric: clicked, after: 7d, min_sends: 500, confidence: 0.99}
  - id: send-a
    send: email
    template: a
    next: done
  - id: send-b
    send: email
    template: b
  - id: done
    exit: true
"""


def parse(body: str) -> Campaign:
    return parse_campaign("key: c\n" + textwrap.dedent(body).lstrip("\n") + TEMPLATES)


def problems(body: str) -> dict[str, tuple[int | None, str]]:
    with pytest.raises(CampaignInvalid) as caught:
        parse(body)
    return {p.path: (p.line, p.message) for p in caught.value.problems}


def test_the_rule_is_read_under_split_with_its_variants() -> None:
    split = parse(DECLARED).step("pick")
    assert isinstance(split, SplitStep)
    assert [v.name for v in split.variants] == ["a", "b", "holdout"]
    assert split.winner == WinnerRule("clicked", 0.99, 7 * DAY, 500)
    plain = parse(DECLARED.replace("      winner: {metric: clicked", "      #")).step("pick")
    assert isinstance(plain, SplitStep) and plain.winner is None


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ("{metric: bought, after: 7d}", "winner.metric", "converted, clicked, opened"),
        ("{metric: opened, after: 7 days}", "winner.after", "not a duration"),
        ("{metric: opened, min_sends: 0}", "winner.min_sends", "from 1 to"),
        ("{metric: opened}", "winner", "needs after, min_sends or both"),
        ("{metric: opened, after: 1d, confidence: 1.5}", "winner.confidence", "below 1"),
        ("{metric: opened, after: 1d, confidence: yes}", "winner.confidence", "a number"),
        ("{metric: opened, after: 1d, when: now}", "winner.when", "unknown key"),
        ("[clicked]", "winner", "must be a mapping"),
    ],
)
def test_a_bad_rule_is_refused_with_its_path_and_line(rule: str, path: str, message: str) -> None:
    body = DECLARED.replace("{metric: clicked, after: 7d, min_sends: 500, confidence: 0.99}", rule)
    found = problems(body)
    full = f"steps[0].split.{path}"
    assert full in found, found
    line, said = found[full]
    assert message in said
    assert line == 9  # the winner's line in the document (key: c is line 1)


def test_a_rule_needs_two_variants_to_compare_and_only_the_first_split_has_one() -> None:
    one = DECLARED.replace("        - {name: b, weight: 45, next: send-b}\n", "").replace(
        "  - id: send-b\n    send: email\n    template: b\n", ""
    )
    assert "needs two variants" in problems(one)["steps[0].split.winner"][1]
    second = DECLARED.replace(
        "  - id: done\n    exit: true\n",
        "  - id: done\n    split:\n      variants: [{name: x, weight: 1}, {name: y, weight: 1}]\n"
        "      winner: {metric: opened, after: 1d}\n",
    )
    assert "first split" in problems(second)["steps[3].split.winner"][1]
    target = DECLARED.replace("next: send-a}", "next: nowhere}")
    assert "steps[0].split.variants[0].next" in problems(target)


def arrive(c: Campaign, seed: int) -> EnrollmentState:
    state = EnrollmentState.start(c.first_step_id, started_at=T0, seed=seed)
    facts = Facts(fields={"attributes": {}, "tags": [], "score": 0.0}, events=())
    return advance(c, state, ContactView(facts=facts), T0).state


def test_a_decided_split_sends_new_arrivals_to_the_winner_and_keeps_the_holdout() -> None:
    c = parse(DECLARED)
    decided = with_winners(c, {"pick": "b"})
    groups = Counter(arrive(decided, seed).variants["pick"] for seed in range(2000))
    assert set(groups) == {"b", "holdout"}
    assert 120 < groups["holdout"] < 290  # still about 10%
    ended = [arrive(decided, s) for s in range(50)]
    assert all(s.status == EXITED for s in ended if s.variants["pick"] == "holdout")


def test_a_journey_that_drew_before_the_decision_keeps_its_variant() -> None:
    c = parse(DECLARED)
    seed = next(s for s in range(100) if arrive(c, s).variants["pick"] == "a")
    drew = EnrollmentState.start(c.first_step_id, started_at=T0, seed=seed).chose("pick", "a")
    facts = Facts(fields={"attributes": {}, "tags": [], "score": 0.0}, events=())
    out = advance(with_winners(c, {"pick": "b"}), drew, ContactView(facts=facts), T0)
    assert out.state.variants["pick"] == "a"
    assert [c.template for c in out.commands if isinstance(c, Send)] == ["a"]


def test_a_winner_that_is_not_a_variant_or_is_a_holdout_changes_nothing() -> None:
    c = parse(DECLARED)
    assert with_winners(c, {"pick": "gone"}) == c
    assert with_winners(c, {"pick": "holdout"}) == c
    assert with_winners(c, {}) is c


RULE = WinnerRule("clicked", 0.95, 7 * DAY, 500)


def test_the_rule_waits_for_its_time_and_its_journeys() -> None:
    strong = [Tally("a", 600, 120), Tally("b", 600, 60)]
    assert judge(RULE, strong, None, T0).winner is None
    early = judge(RULE, strong, T0, T0 + 6 * DAY)
    assert early.winner is None and "until 2025-03-10 09:00 UTC, 1w after" in early.reason
    few = judge(RULE, [Tally("a", 499, 120), Tally("b", 600, 60)], T0, T0 + 8 * DAY)
    assert few.winner is None and "499 of 500" in few.reason
    met = judge(RULE, strong, T0, T0 + 8 * DAY)
    assert met.winner == "a"
    assert met.p_value is not None and met.p_value < 0.05
    assert "a clicked 20.0% against b 10.0%" in met.reason
    assert [f["variant"] for f in met.figures] == ["a", "b"]


def test_the_best_must_beat_every_other_variant_significantly() -> None:
    close = [Tally("a", 600, 120), Tally("b", 600, 110), Tally("c", 600, 40)]
    judged = judge(RULE, close, T0, T0 + 8 * DAY)
    assert judged.winner is None and "does not beat b" in judged.reason
    tied = judge(RULE, [Tally("a", 600, 60), Tally("b", 600, 60)], T0, T0 + 8 * DAY)
    assert tied.winner is None and "no variant leads" in tied.reason
    clear = [Tally("a", 600, 40), Tally("b", 600, 120), Tally("c", 600, 50)]
    assert judge(RULE, clear, T0, T0 + 8 * DAY).winner == "b"
    stricter = WinnerRule("clicked", 0.999999, None, 100)
    assert judge(stricter, [Tally("a", 600, 80), Tally("b", 600, 55)], None, T0).winner is None
