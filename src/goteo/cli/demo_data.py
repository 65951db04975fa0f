"""What ``goteo demo`` loads: the course (email, postcard, SMS), its form, the contacts with
their SMS consent, and the social calendar moved to the demo's present."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

# The words the demo's contacts are recorded as having agreed to (a CSV carries no proof).
SMS_CONSENT_TEXT = "Demo contact: texts about the Drip marketing 101 course. Reply STOP to stop."
_TIMES = ("at", "start", "until")


def moved_calendar(source: str, first: datetime) -> str:
    """The calendar document with its times moved so that the earliest is ``first`` (to the
    minute, in the calendar's own zone) and the others keep their distance from it."""
    document: dict[str, Any] = yaml.safe_load(source)
    local = first.astimezone(ZoneInfo(str(document.get("timezone", "UTC"))))
    found = [
        (post, key, datetime.fromisoformat(str(post[key])))
        for post in document["posts"]
        for key in _TIMES
        if key in post
    ]
    earliest = min(when for _, _, when in found)
    for post, key, when in found:
        post[key] = (local + (when - earliest)).strftime("%Y-%m-%d %H:%M")
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _grant_sms_consent(emails: list[str], now: datetime) -> int:
    from django.db import transaction

    from goteo.actions.sms_consent import grant_sms_consent
    from goteo.contacts.models import Contact

    granted = 0
    with transaction.atomic():
        for contact in Contact.objects.filter(email__in=emails).exclude(phone=""):
            if contact.sms_consent != "granted":
                grant_sms_consent(contact, "demo", SMS_CONSENT_TEXT, now)
                granted += 1
    return granted


def _apply_calendar(data_dir: Path) -> str:
    from goteo.actions.social_calendars import do_apply_calendar
    from goteo.worker.fastclock import resume_point

    present = resume_point()  # where the demo's fast clock starts
    demo = resources.files("goteo.demo")
    source = demo.joinpath("social-calendar.yaml").read_text(encoding="utf-8")
    applied = do_apply_calendar(
        moved_calendar(source, present.replace(second=0, microsecond=0) + timedelta(minutes=1)),
        data_dir,
        present,
    )
    return f"calendar {applied.calendar.key} ({applied.scheduled} posts scheduled)"


@dataclass(frozen=True)
class DemoData:
    """What was loaded: a one-line summary, and the demo contacts' addresses."""

    summary: str
    emails: list[str]


def load_demo_data(data_dir: Path) -> DemoData:
    """Migrate, then load everything."""
    from django.core.management import call_command

    from goteo.actions.campaigns import do_apply_campaign
    from goteo.actions.forms import do_apply_form
    from goteo.actions.importing import do_import_csv
    from goteo.actions.subscriptions import do_subscribe
    from goteo.contacts.models import Contact
    from goteo.engine.clock import SystemClock

    call_command("migrate", verbosity=0, interactive=False)
    demo = resources.files("goteo.demo")
    applied = do_apply_campaign(demo.joinpath("welcome.yaml").read_text(encoding="utf-8"))
    do_apply_form(demo.joinpath("newsletter-form.yaml").read_text(encoding="utf-8"))
    with demo.joinpath("contacts.csv").open(encoding="utf-8") as stream:
        report = do_import_csv(stream)
    if report.errors:
        problems = "; ".join(f"line {line}: {message}" for line, message in report.errors)
        raise ValueError(f"the demo contacts do not import: {problems}")
    now = SystemClock().now()
    texts = _grant_sms_consent(report.emails, now)
    calendar = _apply_calendar(data_dir)
    ids = list(Contact.objects.filter(email__in=report.emails).values_list("id", flat=True))
    reports = do_subscribe(ids, "newsletter", now)
    enrolled = sum(r.enrolled for r in reports.values())
    summary = (
        f"campaign {applied.campaign.key} ({applied.outcome}), {report.imported} contacts "
        f"({texts} newly agreed to texts), {enrolled} newly enrolled, {calendar}"
    )
    return DemoData(summary, list(report.emails))
