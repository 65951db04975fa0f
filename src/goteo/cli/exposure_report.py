"""``goteo report --exposures``: the "law of 29" table, and its chart with ``--svg FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from goteo.cli.output import emit, fail, table


def exposure_report(campaign: str | None, svg: Path | None, as_json: bool) -> None:
    """Print the report (Django is set up by the caller); write the chart to ``svg``."""
    from goteo.campaigns import journey_clock
    from goteo.campaigns.exposure_chart import exposure_chart
    from goteo.campaigns.exposure_curve import exposure_curve
    from goteo.campaigns.models import Campaign

    scope = Campaign.objects.filter(key=campaign).first() if campaign else None
    if campaign and scope is None:
        fail("no such campaign", {"campaign": f"{campaign!r} does not exist"}, as_json)
        return
    data = exposure_curve(scope, journey_clock.now())  # the demo's fast clock, if it runs
    if svg is not None:
        try:
            svg.write_bytes(exposure_chart(data))
        except OSError as exc:
            fail("cannot write the chart", {"svg": f"{svg}: {exc.strerror}"}, as_json)
            return
    emit(data, as_json, lambda: _print(data, svg))


def _rows(data: dict[str, Any]) -> list[list[Any]]:
    return [
        [b["bucket"], b["contacts"], b["converted"], f"{b['conversion_rate']:.2%}"]
        for b in data["buckets"]
    ]


HEADERS = ["exposures", "contacts", "converted", "rate"]


def _print(data: dict[str, Any], svg: Path | None) -> None:
    scope = data["campaign"] or "all campaigns"
    click.echo(f"conversion by exposures before converting ({scope})")
    click.echo(
        f"{data['contacts']} exposed contact(s), {data['converted']} converted "
        f"({data['conversion_rate']:.2%})"
    )
    click.echo("")
    table(_rows(data), HEADERS)
    for mix in data["mixes"]:
        click.echo("")
        click.echo(f"channels: {' + '.join(mix['channels'])}")
        table(_rows(mix), HEADERS)
    campaigns = data.get("campaigns", [])
    if campaigns:
        click.echo("")
        buckets = [b["bucket"] for b in data["buckets"]]
        table(
            [
                [c["campaign"], c["contacts"], f"{c['conversion_rate']:.2%}"]
                + [f"{b['conversion_rate']:.0%}" if b["contacts"] else "-" for b in c["buckets"]]
                for c in campaigns
            ],
            ["campaign", "contacts", "rate", *buckets],
        )
    if svg is not None:
        click.echo("")
        click.echo(f"chart written to {svg}")
