"""``goteo report <campaign>``: reach, engagement, conversions, revenue, lift and exposures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from goteo.cli.exposure_report import exposure_report
from goteo.cli.output import emit, fail, json_option, setup_django, table
from goteo.engine.durations import parse_duration


@click.command()
@click.argument("campaign", required=False)
@click.option(
    "--exposures",
    "curve",
    is_flag=True,
    help='The "law of 29" report: conversion rate by exposures before converting '
    "(of CAMPAIGN, or of all campaigns without one).",
)
@click.option(
    "--svg",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --exposures: also write the chart, as SVG, to this file.",
)
@json_option
def report(campaign: str | None, curve: bool, svg: Path | None, as_json: bool) -> None:
    """A campaign's numbers: reach, engagement, conversions, revenue, lift, exposures.

    CAMPAIGN is its key; docs/measurement.md explains each number.
    """
    setup_django()
    if curve or svg is not None:
        exposure_report(campaign, svg, as_json)
        return
    if campaign is None:
        fail("a campaign is needed", {"campaign": "name one, or use --exposures"}, as_json)
        return
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


def postage_line(postage: dict[str, Any]) -> str:
    """``postage: 498.20 of 500.00 EUR spent (277 mailers), 0.00 in flight, 1.80 remaining``
    (no budget: what the mailers cost)."""
    currency = f" {postage['currency']}" if postage["currency"] else ""
    spent = f"{postage['spent']}{currency}"
    if postage["budget"] is not None:
        spent = f"{postage['spent']} of {postage['budget']}{currency}"
    line = f"postage: {spent} spent ({postage['mailers']} mailers)"
    if postage["in_flight_mailers"]:
        line += f", {postage['in_flight']} in flight"
    if postage["remaining"] is not None:
        line += f", {postage['remaining']} remaining"
    return line


def _print(data: dict[str, Any]) -> None:
    about = data["campaign"]
    click.echo(f"{about['key']}: {about['name']}")
    if about["status"] != "active":
        reason = f": {about['status_reason']}" if about["status_reason"] else ""
        click.echo(f"{about['status']}{reason}")
    click.echo(goal_line(data["goal"]))
    click.echo(
        f"enrolled {data['enrolled']}, sent to {data['contacts_sent']} "
        f"({data['messages_sent']} messages), opened {data['opened']}, "
        f"clicked {data['clicked']}"
    )
    click.echo(f"conversions {data['conversions']}, revenue {_money(data['revenue'])}")
    if data["postage"] is not None:
        click.echo(postage_line(data["postage"]))
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
    if data["split"] is not None:
        _print_split(data["split"])
    _print_exposures(data["exposures"])
    if data["pacing"] is not None:
        _print_pacing(data["pacing"])


def _print_split(split: dict[str, Any]) -> None:
    decision = split["decision"]
    if decision is not None:
        click.echo(
            f"split {split['step_id']}: decided for {decision['variant']} "
            f"on {decision['decided_at'][:16].replace('T', ' ')} by {decision['decided_by']}: "
            f"{decision['reason']}"
        )
    elif split["rule"] is not None:
        click.echo(f"split {split['step_id']}: winner when {split['rule']}: {split['standing']}")


def _print_pacing(pacing: dict[str, Any]) -> None:
    click.echo("")
    click.echo(
        f"pacing: {pacing['journeys']} journey(s): {pacing['on_pace']} on pace, "
        f"{pacing['ahead']} ahead, {pacing['behind']} behind"
    )
    table(
        [
            [p["email"], p["status"], p["actual"], p["expected"], touches_text(p["touches"])]
            for p in pacing["listed"]
        ],
        ["contact", "pace", "exposures", "expected by now", "touches"],
    )


def touches_text(touches: dict[str, int]) -> str:
    return ", ".join(f"{c} {n}" for c, n in touches.items()) or "-"


def _print_exposures(exposures: dict[str, Any]) -> None:
    spread = ", ".join(f"{n}: {k}" for n, k in exposures["distribution"].items()) or "-"
    channels = ", ".join(f"{c} {n}" for c, n in exposures["by_channel"].items()) or "-"
    click.echo("")
    click.echo(f"exposures per contact (exposures: contacts): {spread}")
    click.echo(
        f"mean {exposures['mean']} over {exposures['contacts']} contact(s); by channel: {channels}"
    )
    if exposures["steps"]:
        click.echo("")
        table(
            [
                [s["step_id"] or "(visits)", s["channel"], s["exposures"]]
                for s in exposures["steps"]
            ],
            ["step", "channel", "exposures"],
        )
    audience = exposures["audience"]
    if audience["posts"]:
        click.echo(f"audience: {audience['posts']} post(s), reach {audience['reach']}")
