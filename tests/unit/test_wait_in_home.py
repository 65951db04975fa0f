"""``wait: {after: in_home, for: 3d}``: parsing, and advance with the in-home fact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.in_home_campaign import DOC

from goteo.engine.advance import ContactView, advance
from goteo.engine.flow_graph import flow_graph
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid
from goteo.engine.simulate import simulate
from goteo.engine.state import EnrollmentState
from goteo.engine.steps import WaitStep

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)


def test_parses_the_wait_after_the_in_home_date() -> None:
    step = parse_campaign(DOC).steps[1]
    assert step == WaitStep(id="later", duration=timedelta(days=3), after_in_home=True)


@pytest.mark.parametrize(
    ("wait", "line", "message"),
    [
        ("{after: in_home, for: 3d}", 2, "steps[0].wait.after: no earlier step sends mail"),
        ("{after: sent, for: 3d}", 2, "steps[0].wait.after: must be in_home"),
        ("{after: in_home}", 2, "steps[0].wait.for: is required"),
        ("{after: in_home, for: 3 dayz}", 2, "steps[0].wait.for: '3 dayz' is not a duration"),
    ],
)
def test_refuses_a_bad_wait_with_its_line(wait: str, line: int, message: str) -> None:
    doc = f"key: bad\nsteps:\n  - wait: {wait}\n  - {{send: mail, template: t}}\n"
    doc += "templates:\n  t:\n    en: {subject: T, html: '<p>T</p>'}\n"
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign(doc)
    found = [(p.line, f"{p.path}: {p.message}") for p in caught.value.problems]
    assert any(n == line + 1 and text.startswith(message) for n, text in found), found


def _run(in_home: datetime | None) -> list[tuple[datetime, list[str]]]:
    """The journey on a clock ticking every 12 hours (10:00, 22:00): when each send went out."""
    campaign = parse_campaign(DOC)
    state, now, sent = EnrollmentState.start("card", T0), T0, []
    for _ in range(40):
        known = in_home if now > T0 else None  # the mailer's date is known once it went out
        outcome = advance(campaign, state, ContactView(in_home=known), now)
        state = outcome.state
        if outcome.commands:
            sent.append((now, [getattr(c, "template", "") for c in outcome.commands]))
        if state.status != "active":
            break
        now += timedelta(hours=12)
    return sent


def test_waits_until_the_in_home_date_plus_the_duration() -> None:
    in_home = datetime(2024, 1, 22, tzinfo=UTC)
    assert _run(in_home) == [(T0, ["card"]), (datetime(2024, 1, 25, 10, tzinfo=UTC), ["thanks"])]


def test_without_an_in_home_date_it_waits_the_plain_duration() -> None:
    assert _run(None) == [(T0, ["card"]), (T0 + timedelta(days=3), ["thanks"])]


def test_the_flow_diagram_says_what_the_wait_counts_from() -> None:
    details = [node["detail"] for node in flow_graph(parse_campaign(DOC))["nodes"]]
    assert "3d after the in-home date" in details


def test_the_simulator_assumes_the_typical_transit() -> None:
    timeline = simulate(parse_campaign(DOC), ContactView(), T0, days=30)
    sends = [(e.at, e.detail) for e in timeline if e.kind == "send"]
    assert [at for at, _ in sends] == [T0, datetime(2024, 1, 23, tzinfo=UTC)]  # 20th + 3d
