"""``goteo campaign test-send``: a campaign's email messages, rendered for a sample contact,
to seed addresses, through the outbox and the worker (docs/cli.md)."""

from __future__ import annotations

import click

from goteo.cli.output import emit, fail, json_option, setup_django


@click.command(name="test-send")
@click.argument("key")
@click.option("--to", "seeds", required=True, help="Seed addresses, comma-separated (at most 10).")
@click.option("--step", default="", help="One email step's id (default: every email step).")
@click.option("--locale", default="", help="The variant's locale (default: the sample's own).")
@click.option(
    "--as",
    "sample",
    default="",
    help="Render for this stored contact (default: a made-up one with the templates' defaults).",
)
@json_option
def test_send(key: str, seeds: str, step: str, locale: str, sample: str, as_json: bool) -> None:
    """Send KEY's active version's email messages to seed addresses, marked "[Test] ".

    A test counts nowhere, enrols no one, and its unsubscribe link does nothing; a suppressed
    seed address is refused when the worker sends. The worker must be running to send them."""
    setup_django()
    from goteo.actions.errors import ActionError
    from goteo.actions.test_sends import do_test_send
    from goteo.campaigns import journey_clock

    try:
        sent = do_test_send(
            key, seeds, journey_clock.now(), step=step, locale=locale, sample=sample
        )
    except ActionError as exc:
        fail(exc.message, exc.fields, as_json)
        return
    shown_as = sent.sample.email if sent.sample is not None else "a made-up contact"
    info = {
        "key": key,
        "seeds": list(sent.seeds),
        "steps": [{"id": s.id, "locale": sent.locales[s.id]} for s in sent.steps],
        "sample": sent.sample.email if sent.sample is not None else None,
        "queued": len(sent.seeds) * len(sent.steps),
    }

    def human() -> None:
        steps = ", ".join(f"{s.id} ({sent.locales[s.id]})" for s in sent.steps)
        click.echo(
            f"{key}: {info['queued']} test message(s) queued for {', '.join(sent.seeds)}: "
            f"{steps}, rendered for {shown_as}"
        )

    emit(info, as_json, human)
