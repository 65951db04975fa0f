"""The shipped examples: each parses with the full template checks, renders in every language,
and behaves as its header comment says on the real engine (the pure simulator)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from goteo.campaigns.versions import parse_checked
from goteo.channels.email.composer import Composer, Sender
from goteo.engine.advance import ContactView
from goteo.engine.commands import Update
from goteo.engine.conditions import EventRecord, Facts, evaluate, matches_where
from goteo.engine.model import Campaign
from goteo.engine.simulate import ContactEvent, Entry, simulate
from goteo.engine.steps import SplitStep
from goteo.forms.definition import parse_form

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CAMPAIGNS = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith("-form.yaml"))
FORMS = sorted(EXAMPLES.glob("*-form.yaml"))
FLOWS = ("abandoned-cart", "browse-abandonment", "post-purchase", "win-back")
T0 = datetime(2025, 3, 5, 14, 0, tzinfo=UTC)  # a Wednesday
ANA = ContactView(locale="es", timezone="Europe/Madrid")
BOB = ContactView(locale="en-GB")


def load(name: str) -> Campaign:
    return parse_checked((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


def sends(timeline: list[Entry]) -> list[tuple[timedelta, str]]:
    """(time since the start, step) of every send."""
    return [(e.at - T0, e.send.step_id) for e in timeline if e.send is not None]


def first_send(timeline: list[Entry]) -> Any:
    return next(e.send for e in timeline if e.send is not None)


def ending(timeline: list[Entry]) -> tuple[timedelta, str]:
    last = timeline[-1]
    assert last.kind == "end", timeline
    return last.at - T0, last.detail


def at(delta: timedelta, name: str, **properties: Any) -> ContactEvent:
    return ContactEvent(T0 + delta, name, properties)


HOUR, DAY = timedelta(hours=1), timedelta(days=1)


# Every example --------------------------------------------------------------------------------


def test_the_classic_flows_and_the_welcome_series_are_shipped() -> None:
    assert {p.stem for p in CAMPAIGNS} == {*FLOWS, "welcome"}
    assert [p.stem for p in FORMS] == ["newsletter-de-form", "newsletter-form"]


@pytest.mark.parametrize("path", CAMPAIGNS, ids=lambda p: p.stem)
def test_every_campaign_parses_with_the_full_template_checks(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    campaign = parse_checked(source)
    assert campaign.key == path.stem
    assert campaign.default_locale == "en"
    assert source.startswith("# "), "each example opens with a comment explaining its flow"
    if path.stem in FLOWS:  # the welcome series shows the fallback: its offer is English only
        for name, variants in campaign.templates.items():
            assert {"en", "es"} <= set(variants), (name, sorted(variants))


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.stem)
def test_every_form_parses_without_warnings(path: Path) -> None:
    form = parse_form(path.read_text(encoding="utf-8"))
    assert form.key == path.stem.removesuffix("-form") and form.warnings == ()


SAMPLE_CONTEXT = {
    "event": {
        "name": "added_to_cart",
        "properties": {
            "cart_url": "https://shop.example.com/cart/c-1001",
            "product_name": "a linen shirt",
            "url": "https://shop.example.com/products/linen-shirt",
            "title": "the linen shirt",
            "order_id": "A-1001",
        },
    },
    "coupon": {
        "code": "CART-K7P2QX9M",
        "expires_at": "2025-03-13T15:00:00+00:00",
        "expires_on": "2025-03-13",
        "percent_off": "10",
        "discount": "10%",
    },
}


@pytest.mark.parametrize("name", FLOWS)
@pytest.mark.parametrize("extra", [SAMPLE_CONTEXT, {}], ids=["with-event", "bare"])
def test_every_template_renders_in_every_language(name: str, extra: dict[str, Any]) -> None:
    """With the trigger event and coupon a journey carries, and (where the template allows)
    without an event: every link and name falls back to a default."""
    campaign = load(name)
    composer = Composer(Sender("Shop <news@shop.example.com>", "https://goteo.example", "s3cret"))
    contact = {
        "id": 7,
        "email": "ana@example.com",
        "first_name": "",
        "last_name": "",
        "locale": "",
        "timezone": "",
        "attributes": {},
    }
    for template, variants in campaign.templates.items():
        for locale in variants:
            uses_coupon = "coupon." in variants[locale].html
            context = extra if extra or not uses_coupon else {"coupon": SAMPLE_CONTEXT["coupon"]}
            message = composer.compose(1, campaign, template, locale, contact, extra=context)
            assert message.subject and "{{" not in message.html, (template, locale)
            if uses_coupon:
                assert "CART-K7P2QX9M" in message.html and "2025-03-13" in message.html
            if "cart_url" in variants[locale].html:
                wanted = "cart/c-1001" if extra else "https://shop.example.com/cart"
                assert wanted in message.html, (template, locale, message.html)


# Abandoned cart -------------------------------------------------------------------------------


def test_abandoned_cart_without_a_purchase_sends_two_reminders_the_second_with_a_coupon() -> None:
    campaign = load("abandoned-cart")
    assert (campaign.trigger.kind, campaign.trigger.value) == ("event", "added_to_cart")
    assert (campaign.reentry.mode, campaign.reentry.after) == ("after", 7 * DAY)
    timeline = simulate(campaign, ANA, T0, days=10)
    assert sends(timeline) == [(HOUR, "reminder"), (25 * HOUR, "coupon-reminder")]
    first, second = (e.send for e in timeline if e.kind == "send")
    assert first is not None and second is not None
    assert (first.template, first.locale, first.coupon) == ("cart-reminder", "es", None)
    assert (second.template, second.locale) == ("cart-coupon", "es")
    assert second.coupon is not None
    assert second.coupon.percent_off == Decimal(10)
    assert second.coupon.expires_in == 7 * DAY
    assert second.coupon.prefix == "CART-" and second.coupon.generated
    # The journey stays open for the rest of the goal window, then ends without a purchase.
    assert ending(timeline) == (
        25 * HOUR + 6 * DAY,
        "exited at exit step 'no-purchase': no purchase",
    )


def test_abandoned_cart_purchase_after_the_first_reminder_converts_with_no_second() -> None:
    timeline = simulate(load("abandoned-cart"), BOB, T0, days=10, events=[at(3 * HOUR, "purchase")])
    assert sends(timeline) == [(HOUR, "reminder")]
    assert ending(timeline) == (3 * HOUR, "converted: reached its goal (purchase)")


def test_abandoned_cart_purchase_before_the_first_reminder_sends_nothing() -> None:
    timeline = simulate(load("abandoned-cart"), BOB, T0, days=10, events=[at(HOUR / 2, "purchase")])
    assert sends(timeline) == []
    assert ending(timeline) == (HOUR / 2, "converted: reached its goal (purchase)")


def test_abandoned_cart_purchase_after_the_coupon_converts_within_the_week() -> None:
    timeline = simulate(load("abandoned-cart"), BOB, T0, days=10, events=[at(4 * DAY, "purchase")])
    assert [step for _, step in sends(timeline)] == ["reminder", "coupon-reminder"]
    assert ending(timeline) == (4 * DAY, "converted: reached its goal (purchase)")


def test_abandoned_cart_purchase_after_the_goal_window_is_not_a_conversion() -> None:
    late = 7 * DAY + HOUR / 2  # past the 7-day goal, still inside the coupon window
    timeline = simulate(load("abandoned-cart"), BOB, T0, days=10, events=[at(late, "purchase")])
    assert ending(timeline) == (late, "exited at exit step 'purchased': purchased")


# Browse abandonment ---------------------------------------------------------------------------


def test_browse_abandonment_starts_on_product_pages_only() -> None:
    trigger = load("browse-abandonment").trigger
    assert (trigger.kind, trigger.value) == ("event", "page_view")
    assert trigger.where is not None
    assert matches_where(trigger.where, {"url": "https://shop.example.com/products/shirt"})
    assert not matches_where(trigger.where, {"url": "https://shop.example.com/blog/linen"})
    assert not matches_where(trigger.where, {})


def test_browse_abandonment_nudges_after_two_quiet_hours() -> None:
    timeline = simulate(load("browse-abandonment"), ANA, T0, days=5)
    assert sends(timeline) == [(2 * HOUR, "still-thinking")]
    send = first_send(timeline)
    assert (send.template, send.locale) == ("still-thinking", "es")
    assert ending(timeline) == (2 * HOUR + 3 * DAY, "completed: ran its last step, 'goal-window'")


def test_browse_abandonment_stops_when_the_product_goes_into_the_cart() -> None:
    events = [at(HOUR, "added_to_cart")]
    timeline = simulate(load("browse-abandonment"), BOB, T0, days=5, events=events)
    assert sends(timeline) == []
    assert ending(timeline) == (HOUR, "exited at exit step 'added-to-cart': added to cart")


@pytest.mark.parametrize("when", [HOUR, DAY], ids=["before-the-email", "after-the-email"])
def test_browse_abandonment_purchase_converts(when: timedelta) -> None:
    timeline = simulate(load("browse-abandonment"), BOB, T0, days=5, events=[at(when, "purchase")])
    assert len(sends(timeline)) == (0 if when < 2 * HOUR else 1)
    assert ending(timeline) == (when, "converted: reached its goal (purchase)")


# Post-purchase --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cross_sell"),
    [(140, "premium-picks"), (100, "premium-picks"), (35.5, "everyday-picks")],
)
def test_post_purchase_series_and_a_cross_sell_sized_to_the_order(
    value: float, cross_sell: str
) -> None:
    campaign = load("post-purchase")
    assert (campaign.trigger.kind, campaign.trigger.value) == ("event", "purchase")
    order = at(timedelta(0), "purchase", value=value, order_id="A-1001")
    timeline = simulate(campaign, ANA, T0, days=30, events=[order])
    assert sends(timeline) == [
        (timedelta(0), "thank-you"),
        (3 * DAY, "tips"),
        (17 * DAY, "review"),
        (21 * DAY, cross_sell),
    ]
    updates = [e.command for e in timeline if e.kind == "update"]
    tagged, done = updates
    assert isinstance(tagged, Update) and isinstance(done, Update)
    assert (tagged.add_tags, tagged.remove_tags) == (("customer",), ("prospect",))
    assert tagged.attributes == {"lifecycle": "customer"}
    assert done.attributes == {"post_purchase_series": "done"}
    assert timeline.index(next(e for e in timeline if e.kind == "update")) < timeline.index(
        next(e for e in timeline if e.kind == "send")
    ), "the buyer is tagged before the first email"
    assert ending(timeline) == (21 * DAY, "completed: ran its last step, 'series-done'")


def test_post_purchase_cross_sell_reads_orders_of_the_last_30_days_only() -> None:
    old_big_order = ContactEvent(T0 - 40 * DAY, "purchase", {"value": 500})
    small_order = at(timedelta(0), "purchase", value=20)
    timeline = simulate(
        load("post-purchase"), BOB, T0, days=30, events=[old_big_order, small_order]
    )
    assert sends(timeline)[-1] == (21 * DAY, "everyday-picks")


# Win-back -------------------------------------------------------------------------------------


def _facts(tags: list[str], *purchases_ago: timedelta) -> Facts:
    events = [EventRecord("purchase", {"value": 30}, T0 - ago) for ago in purchases_ago]
    return Facts(fields={"tags": tags}, events=tuple(events))


def test_win_back_segment_is_customers_with_no_purchase_in_90_days() -> None:
    condition = load("win-back").trigger.condition
    assert condition is not None
    assert evaluate(condition, _facts(["customer"], 120 * DAY), T0)
    assert evaluate(condition, _facts(["customer", "vip"]), T0)
    assert not evaluate(condition, _facts(["customer"], 120 * DAY, 89 * DAY), T0)
    assert not evaluate(condition, _facts(["prospect"], 120 * DAY), T0)


def _seed_for(campaign: Campaign, variant: str) -> int:
    from goteo.engine.advance import split_choice

    split = campaign.steps[0]
    assert isinstance(split, SplitStep)
    return next(s for s in range(1000) if split_choice(split, s) == variant)


@pytest.mark.parametrize(("variant", "percent"), [("ten-off", 10), ("twenty-off", 20)])
def test_win_back_variants_get_we_miss_you_with_their_coupon(variant: str, percent: int) -> None:
    campaign = load("win-back")
    seed = _seed_for(campaign, variant)
    timeline = simulate(campaign, ANA, T0, days=40, seed=seed)
    ((when, step),) = sends(timeline)
    send = first_send(timeline)
    assert when == timedelta(0) and step == f"miss-you-{percent}"
    assert (send.template, send.locale) == ("we-miss-you", "es")
    assert send.coupon is not None and send.coupon.percent_off == Decimal(percent)
    assert send.coupon.expires_in == 14 * DAY
    assert ending(timeline) == (30 * DAY, "completed: ran its last step, 'goal-window'")

    bought = simulate(campaign, ANA, T0, days=40, seed=seed, events=[at(5 * DAY, "purchase")])
    assert ending(bought) == (5 * DAY, "converted: reached its goal (purchase)")


def test_win_back_holdout_receives_nothing() -> None:
    campaign = load("win-back")
    timeline = simulate(campaign, ANA, T0, days=40, seed=_seed_for(campaign, "holdout"))
    assert sends(timeline) == []
    assert ending(timeline) == (timedelta(0), "exited: holdout (offer-test)")


def test_win_back_split_is_45_45_10() -> None:
    campaign = load("win-back")
    groups: Counter[str] = Counter()
    for seed in range(4000):
        timeline = simulate(campaign, BOB, T0, days=1, seed=seed)
        groups[sends(timeline)[0][1] if sends(timeline) else "holdout"] += 1
    assert set(groups) == {"miss-you-10", "miss-you-20", "holdout"}
    assert abs(groups["miss-you-10"] - 1800) < 150
    assert abs(groups["miss-you-20"] - 1800) < 150
    assert abs(groups["holdout"] - 400) < 80


# goteo simulate -------------------------------------------------------------------------------


@pytest.mark.slow  # runs `goteo simulate` as a real process
def test_goteo_simulate_shows_the_abandoned_cart_flow(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOTEO_", "DJANGO_"))}
    env |= {"GOTEO_DATA_DIR": str(tmp_path / "data"), "GOTEO_SECRET_KEY": "simulate-test"}
    command = [
        sys.executable,
        "-m",
        "goteo",
        "simulate",
        str(EXAMPLES / "abandoned-cart.yaml"),
        "--contact",
        json.dumps({"first_name": "Ana", "locale": "es", "timezone": "Europe/Madrid"}),
        "--days",
        "8",
        "--start",
        T0.isoformat(),
        "--json",
    ]

    def run(*more: str) -> list[dict[str, Any]]:
        done = subprocess.run(
            [*command, *more], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        result: list[dict[str, Any]] = json.loads(done.stdout)
        return result

    timeline = run()
    assert [(e["kind"], e.get("step"), e.get("locale")) for e in timeline] == [
        ("wait_for", "first-wait", None),
        ("send", "reminder", "es"),
        ("wait_for", "second-wait", None),
        ("send", "coupon-reminder", "es"),
        ("wait_for", "coupon-window", None),
        ("end", None, None),
    ]
    assert timeline[0]["detail"] == "else -> 'reminder': no event purchase within 1h"
    assert timeline[3]["coupon"]["code"].startswith("CART-")
    assert timeline[3]["coupon"]["discount"] == "10%"
    sent = [e for e in timeline if e["kind"] == "send"]
    assert [e["local"] for e in sent] == [
        "2025-03-05T16:00:00+01:00",
        "2025-03-06T16:00:00+01:00",
    ]
    assert [e["subject"] for e in sent] == [
        "Te dejaste algo en el carrito",
        "Un 10% de descuento en lo que te espera en el carrito",
    ]
    assert all("error" not in e for e in timeline), timeline
    assert timeline[-1]["detail"] == "exited at exit step 'no-purchase': no purchase"

    events = tmp_path / "events.yaml"
    events.write_text("- {at: 3h, name: purchase, properties: {value: 49.9}}\n")
    bought = run("--events", str(events))
    assert [e["kind"] for e in bought] == ["wait_for", "send", "event", "end"]
    assert bought[-1]["detail"] == "converted: reached its goal (purchase)"
