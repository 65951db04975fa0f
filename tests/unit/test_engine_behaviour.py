"""Behaviour steps on the pure engine: wait_for, branch, split, goal, exit_when, effects."""

from __future__ import annotations

import textwrap
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from goteo.engine.advance import ContactView, Outcome, advance
from goteo.engine.commands import AddScore, CallWebhook, Notify, Send, Update
from goteo.engine.conditions import EventRecord, Facts
from goteo.engine.model import Campaign
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid
from goteo.engine.state import ACTIVE, CONVERTED, EXITED, EnrollmentState

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

TEMPLATES = """
templates:
  reminder: {en: {subject: "Your cart", html: "<p>cart</p>"}}
  thanks: {en: {subject: "Thanks", html: "<p>thanks</p>"}}
  offer: {en: {subject: "Offer", html: "<p>offer</p>"}}
  hot: {en: {subject: "Hot lead", html: "<p>hot</p>"}}
"""


def parse(body: str) -> Campaign:
    return parse_campaign("key: c\n" + textwrap.dedent(body).lstrip("\n") + TEMPLATES)


def problems(body: str) -> dict[str, str]:
    with pytest.raises(CampaignInvalid) as caught:
        parse(body)
    return {p.path: p.message for p in caught.value.problems}


def view(*events: EventRecord, **fields: object) -> ContactView:
    base: dict[str, object] = {"attributes": {}, "tags": [], "score": 0.0}
    return ContactView(facts=Facts(fields=base | fields, events=tuple(events)))


def run(c: Campaign, state: EnrollmentState, contact: ContactView, now: datetime) -> Outcome:
    return advance(c, state, contact, now)


def begin(c: Campaign, seed: int = 0) -> EnrollmentState:
    return EnrollmentState.start(c.first_step_id, started_at=T0, seed=seed)


WAIT_FOR = """
trigger: {event: added_to_cart}
steps:
  - wait_for: {event: purchase, where: {value: {gte: 10}}, timeout: 24h}
    then: thanks
    else: reminder
  - id: reminder
    send: email
    template: reminder
  - exit: true
  - id: thanks
    send: email
    template: thanks
"""


def test_wait_for_times_out_into_else() -> None:
    c = parse(WAIT_FOR)
    first = run(c, begin(c), view(), T0)
    assert first.commands == [] and first.state.wake_at == T0 + 24 * HOUR
    assert run(c, first.state, view(), T0 + 23 * HOUR).state == first.state

    after = run(c, first.state, view(), T0 + 24 * HOUR)

    assert [cmd.template for cmd in after.commands if isinstance(cmd, Send)] == ["reminder"]
    assert after.state.status == EXITED


def test_wait_for_takes_then_when_the_matching_event_happens() -> None:
    c = parse(WAIT_FOR)
    first = run(c, begin(c), view(), T0)
    small = EventRecord("purchase", {"value": 5}, T0 + HOUR)
    big = EventRecord("purchase", {"value": 25}, T0 + 2 * HOUR)

    assert run(c, first.state, view(small), T0 + HOUR).commands == []  # filtered out
    after = run(c, first.state, view(small, big), T0 + 2 * HOUR)

    assert [cmd.template for cmd in after.commands if isinstance(cmd, Send)] == ["thanks"]


def test_wait_for_ignores_events_from_before_the_wait_began() -> None:
    c = parse(WAIT_FOR)
    first = run(c, begin(c), view(), T0)
    earlier = EventRecord("purchase", {"value": 99}, T0 - HOUR)

    after = run(c, first.state, view(earlier), T0 + 24 * HOUR)

    assert [cmd.template for cmd in after.commands if isinstance(cmd, Send)] == ["reminder"]


GOAL = """
goal: {event: purchase, within: 7d}
steps:
  - send: email
    template: reminder
  - wait: 3d
  - send: email
    template: offer
"""


def test_goal_ends_the_journey_as_converted_wherever_it_is() -> None:
    c = parse(GOAL)
    waiting = run(c, begin(c), view(), T0).state
    bought = EventRecord("purchase", {}, T0 + HOUR)

    after = run(c, waiting, view(bought), T0 + 2 * HOUR)

    assert after.state.status == CONVERTED and after.commands == []
    assert after.state.end_reason == "goal: purchase"


def test_goal_counts_only_within_its_window_and_after_the_start() -> None:
    c = parse(GOAL)
    waiting = run(c, begin(c), view(), T0).state
    before_start = EventRecord("purchase", {}, T0 - HOUR)
    too_late = EventRecord("purchase", {}, T0 + timedelta(days=8))

    assert run(c, waiting, view(before_start), T0 + HOUR).state.status == ACTIVE
    late = run(c, waiting, view(too_late), T0 + timedelta(days=8))
    assert late.state.status != CONVERTED


def test_exit_when_condition_ends_the_journey() -> None:
    c = parse("exit_when: {tags: {contains: customer}}\n" + GOAL)
    waiting = run(c, begin(c), view(), T0).state

    after = run(c, waiting, view(tags=["customer"]), T0 + HOUR)

    assert after.state.status == EXITED and after.state.end_reason == "exit condition met"


BRANCH = """
steps:
  - update: {attributes: {stage: lead}, add_tags: [warm]}
  - score: 30
  - branch: {all: [{score: {gte: 50}}, {tags: {contains: warm}}]}
    then: hot
    else: cold
  - id: cold
    send: email
    template: reminder
  - exit: true
  - id: hot
    notify: {to: owner, template: hot}
  - webhook: {url: "https://crm.example/hook"}
"""


def test_branch_sees_the_updates_and_points_made_earlier_in_the_same_journey() -> None:
    c = parse(BRANCH)

    warm = run(c, begin(c), view(score=25.0), T0)
    cold = run(c, begin(c), view(score=0.0), T0)

    assert warm.commands == [
        Update("step-1", {"stage": "lead"}, ("warm",), ()),
        AddScore("step-2", 30.0),
        Notify("hot", "owner", "hot", "en"),
        CallWebhook("step-7", "https://crm.example/hook"),
    ]
    assert [type(cmd) for cmd in cold.commands] == [Update, AddScore, Send]


SPLIT = """
steps:
  - split:
      - {name: a, weight: 45, next: offer}
      - {name: b, weight: 45}
      - {name: holdout, weight: 10, holdout: true}
  - send: email
    template: reminder
  - exit: true
  - id: offer
    send: email
    template: offer
"""


def test_split_follows_the_weights_and_is_stable_per_journey() -> None:
    c = parse(SPLIT)
    groups: Counter[str] = Counter()
    for seed in range(4000):
        out = run(c, begin(c, seed), view(), T0)
        assert out == run(c, begin(c, seed), view(), T0)  # same seed, same choice
        groups[out.state.variants["step-1"]] += 1
        if out.state.variants["step-1"] == "holdout":
            assert out.commands == [] and out.state.status == EXITED
    assert 1650 < groups["a"] < 1950 and 1650 < groups["b"] < 1950
    assert 300 < groups["holdout"] < 500


def test_state_round_trips_through_json_and_version_1_still_reads() -> None:
    c = parse(SPLIT)
    state = run(c, begin(c, 7), view(), T0).state
    assert EnrollmentState.from_json(state.to_json()) == state
    old = {"v": 1, "status": "active", "position": "step-1", "wake_at": None, "steps_run": []}
    assert EnrollmentState.from_json(old).position == "step-1"


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ("steps:\n  - wait_for: {event: purchase}\n", "steps[0].wait_for.timeout", "required"),
        (
            "steps:\n  - wait_for: {event: purchase, timeout: 1d}\n    then: nowhere\n",
            "steps[0].then",
            "does not exist",
        ),
        ("steps:\n  - branch: {score: {gte: 1}}\n", "steps[0]", "then, else or both"),
        (
            "steps:\n  - split: [{name: a, weight: 0}, {name: b, weight: 1}]\n",
            "steps[0].split[0].weight",
            "from 1 to 10000",
        ),
        (
            "steps:\n  - split: [{name: a, weight: 1}, {name: h, weight: 1, holdout: true,"
            " next: step-1}]\n",
            "steps[0].split[1].next",
            "no next",
        ),
        ("steps:\n  - notify: {to: nobody, template: hot}\n", "steps[0].notify.to", "owner"),
        ("steps:\n  - webhook: {url: 'ftp://x'}\n", "steps[0].webhook", "http(s) URL"),
        ("steps:\n  - score: lots\n", "steps[0].score", "number of points"),
        (
            "steps:\n  - update: {add_tags: [ok, 3]}\n",
            "steps[0].update.add_tags",
            "list of tags",
        ),
        ("goal: {within: 2d}\nsteps:\n  - exit: true\n", "goal.event", "event name"),
    ],
)
def test_behaviour_steps_are_refused_with_their_path(body: str, path: str, message: str) -> None:
    found = problems(body)

    assert path in found, found
    assert message in found[path]


def test_a_loop_through_a_branch_is_refused() -> None:
    found = problems(
        """
        steps:
          - id: again
            wait: 1d
          - branch: {score: {gte: 10}}
            then: again
            else: again
        """
    )

    assert any("loop" in message for message in found.values())


def test_steps_reachable_only_through_a_branch_are_not_unreachable() -> None:
    c = parse(WAIT_FOR)
    assert [s.id for s in c.steps] == ["step-1", "reminder", "step-3", "thanks"]


def test_the_trigger_event_is_neither_its_own_goal_nor_the_answer_to_a_wait() -> None:
    c = parse(
        """
        trigger: {event: purchase}
        goal: {event: purchase, within: 30d}
        steps:
          - wait_for: {event: purchase, timeout: 30d}
            then: again
          - send: email
            template: thanks
          - exit: true
          - id: again
            send: email
            template: offer
        """
    )
    trigger = EventRecord("purchase", {}, T0, id=41)
    state = EnrollmentState.start(
        c.first_step_id, started_at=T0, event={"name": "purchase", "id": 41}
    )

    waiting = run(c, state, view(trigger), T0)
    assert waiting.state.status == ACTIVE and waiting.commands == []
    assert run(c, waiting.state, view(trigger), T0 + HOUR).state.status == ACTIVE

    second = EventRecord("purchase", {}, T0 + 2 * HOUR, id=42)
    assert run(c, waiting.state, view(trigger, second), T0 + 2 * HOUR).state.status == CONVERTED
