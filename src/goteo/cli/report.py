"""``goteo report <campaign>``: reach, engagement, conversions, revenue, lift and exposures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from goteo.cli.output import emit, fail, json_option, setup_django, table
from goteo.engine.durations import parse_duration


@click.command()
@click.argument("campaign")
@json_option
def report(campaign: str, as_json: bool) -> None:
    """A campaign's numbers: reach, engagement, conversions, revenue, lift, exposures.

    CAMPAIGN is its key; docs/measurement.md explains each number.
    """
    setup_django()
    from goteo.campaigns.reports import NoSuchCampaign, campaign_report

    try:
        data = campaign_report(campaign)
    except NoSuchCampaign:
        fail("no such campaign", {"campaign": f"{campaign!r} does not exist"}, as_json)
        return
    emit(data, as_json, lambda: _print(data))


def _money(revenue: dict[str, str]) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in revenue.items()) or "-"


def goal_line(goal: dict[str, Any]) -> str:
    """``goal: purchase within 2w``, or what a campaign without a goal is measured against:
    ``no goal (measured against purchases within 30 days)``."""
    events = " or ".join(goal["events"])
    if goal["declared"]:
        return f"goal: {events} within {goal['within']}"
    what = "purchases" if goal["events"] == ["purchase"] else f"{events} events"
    within = parse_duration(goal["within"])
    if within % timedelta(days=1):
        return f"no goal (measured against {what} within {goal['within']})"
    days = within.days
    return f"no goal (measured against {what} within {days} day{'' if days == 1 else 's'})"


def _print(data: dict[str, Any]) -> None:
    click.echo(f"{data['campaign']['key']}: {data['campaign']['name']}")
    click.echo(goal_line(data["goal"]))
    click.echo(
        f"enrolled {data['enrolled']}, sent to {data['contacts_sent']} "
        f"({data['messages_sent']} messages), opened {data['opened']}, "
        f"clicked {data['clicked']}"
    )
    click.echo(f"conversions {data['conversions']}, revenue {_money(data['revenue'])}")
    click.echo("")
    steps = data["steps"]
    table(
        [
            [s["step_id"], s["sent"], s["opened"], s["clicked"], s["conversions"], _money(r)]
            for s in steps
            for r in [s["revenue"]]
        ],
        ["step", "sent", "opened", "clicked", "conversions", "revenue"],
    )
    for s in steps:
        for reason, count in s["suppressed"].items():
            click.echo(f"{s['step_id']}: {count} not sent: {reason}")
    click.echo("")
    table(
        [
            [v["variant"] or "(none)", v["enrolled"], v["converted"], f"{v['conversion_rate']:.2%}"]
            for v in data["variants"]
        ],
        ["variant", "enrolled", "reached goal", "rate"],
    )
    exposures = data["exposures"]
    spread = ", ".join(f"{n}: {k}" for n, k in exposures["distribution"].items()) or "-"
    click.echo("")
    click.echo(f"exposures per contact (messages sent: contacts): {spread}")
    click.echo(f"mean {exposures['mean']} over {exposures['contacts']} contact(s)")
