"""The simulator's timeline shows each decision: which branch and why, which split variant,
what a wait_for saw, and how the journey really ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from goteo.engine.advance import ContactView
from goteo.engine.conditions import Facts, parse_condition
from goteo.engine.parser import parse_campaign
from goteo.engine.simulate import ContactEvent, simulate

T0 = datetime(2024, 1, 15, 10, 0, tzinfo=UTC)

FLOW = """\
key: decisions
steps:
  - id: vip
    branch: {all: [{score: {gte: 50}}, {tags: {contains: vip}}]}
    then: welcome
  - id: ask
    wait_for: {event: page_view, where: {url: {contains: /pricing}}, timeout: 2d}
    then: offer
  - id: test
    split: [{name: a, weight: 3, next: welcome}, {name: b, weight: 1, next: welcome}]
  - id: offer
    exit: saw the pricing page
  - id: welcome
    send: email
    template: hi
templates:
  hi: {en: {subject: Hi, html: "<p>Hi</p>"}}
"""


def timeline(
    contact: ContactView, events: Sequence[ContactEvent] = ()
) -> list[tuple[str, str, str]]:
    entries = simulate(parse_campaign(FLOW), contact, T0, days=5, events=events)
    return [(e.kind, e.step_id, e.detail) for e in entries]


def test_branch_wait_for_and_split_say_which_way_and_why() -> None:
    steps = timeline(ContactView(facts=Facts(fields={"score": 10, "tags": []})))

    assert steps == [
        (
            "branch",
            "vip",
            "else -> 'ask': (score gte 50 and tags contains vip) does not hold",
        ),
        (
            "wait_for",
            "ask",
            "else -> 'test': no event page_view where url contains /pricing within 2d",
        ),
        ("split", "test", "variant a (weight 3 of 4) -> 'welcome': drawn by the journey's seed"),
        ("send", "welcome", ""),
        ("end", "", "completed: ran its last step, 'welcome'"),
    ]


def test_a_branch_taken_and_an_exit_step_name_themselves() -> None:
    vip = timeline(ContactView(facts=Facts(fields={"score": 80, "tags": ["vip"]})))
    assert vip[0] == (
        "branch",
        "vip",
        "then -> 'welcome': (score gte 50 and tags contains vip) holds",
    )

    looked = [ContactEvent(T0 + timedelta(hours=3), "page_view", {"url": "/pricing"})]
    steps = timeline(ContactView(facts=Facts(fields={"score": 0})), looked)
    assert steps[-2:] == [
        (
            "wait_for",
            "ask",
            "then -> 'offer': event page_view where url contains /pricing happened",
        ),
        ("end", "", "exited at exit step 'offer': saw the pricing page"),
    ]


def test_a_holdout_says_it_was_drawn() -> None:
    text = FLOW.replace(
        "{name: b, weight: 1, next: welcome}", "{name: b, weight: 1, holdout: true}"
    )
    for seed in range(20):
        entries = simulate(parse_campaign(text), ContactView(), T0, days=5, seed=seed)
        if entries[-1].detail == "exited: holdout (test)":
            assert entries[-2].detail == "variant b (weight 1 of 4): a holdout, sent nothing"
            return
    raise AssertionError("no seed of 20 drew the holdout")


def test_conditions_read_back_as_text() -> None:
    from goteo.engine.condition_text import describe

    condition, problems = parse_condition(
        {
            "any": [
                {"not": {"locale": {"in": ["es", "fr"]}}},
                {"event": "purchase", "within": "3d", "count": {"gte": 2}},
                {"attributes.plan": {"exists": False}},
                {"created_at": {"before": "2d"}},
            ]
        },
        "if",
    )
    assert problems == [] and condition is not None
    assert describe(condition) == (
        "(not locale in [es, fr] or event purchase within 3d count gte 2"
        " or attributes.plan is missing or created_at before 2d ago)"
    )


def test_steps_that_never_wait_say_what_they_did() -> None:
    text = """\
key: effects
steps:
  - update: {attributes: {plan: pro}, add_tags: [vip], remove_tags: [trial]}
  - score: -5
  - notify: {to: owner, template: hi}
  - webhook: https://crm.example.com/hook
templates:
  hi: {en: {subject: Hi, html: "<p>Hi</p>"}}
"""
    entries = simulate(parse_campaign(text), ContactView(), T0, days=1)

    assert [(e.kind, e.detail) for e in entries] == [
        ("update", "set plan='pro', add tag vip, remove tag trial"),
        ("score", "-5 points"),
        ("notify", "email owner (hi)"),
        ("webhook", "POST https://crm.example.com/hook"),
        ("end", "completed: ran its last step, 'step-4'"),
    ]
