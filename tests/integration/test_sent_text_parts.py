"""The text part as it leaves the worker over SMTP: the demo course and the hot-lead hand-off."""

from __future__ import annotations

from email.message import EmailMessage
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from tests.golden import assert_tidy_text
from tests.integration.flow_helpers import Inbox, body_text, run_now
from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.scoring import do_apply_scoring, score_events
from goteo.actions.subscriptions import do_subscribe
from goteo.campaigns.models import Delivery
from goteo.contacts.event_facts import EventFact
from goteo.contacts.models import Contact, Event
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return body_text(part)


def test_the_demo_welcome_reads_as_plain_text(
    worker: Worker, smtp_sink: SmtpSink, settings: Any, tmp_path: Path
) -> None:
    # The course also sends a postcard and a text: their channels must be configured to apply it.
    settings.GOTEO_MAIL_URL, settings.GOTEO_SMS_URL = f"folder:{tmp_path}", "memory:"
    demo = resources.files("goteo.demo").joinpath("welcome.yaml").read_text(encoding="utf-8")
    do_apply_campaign(demo)
    contact = {"email": "lucia@example.com", "first_name": "Lucía", "locale": "es"}
    do_subscribe([do_upsert_contact(contact).contact.id], "newsletter", timezone.now())
    run_now(worker)
    (welcome,) = Inbox(smtp_sink).new()
    text = text_part(welcome)
    assert_tidy_text(text)
    assert "\n\n¡Hola, Lucía!\n\n" in text
    assert "\n\n  * Mañana: qué es el marketing por goteo\n  * Día 3:" in text


RULES = """\
threshold: 10
rules:
  - {event: purchase, points: 20}
owners:
  - {email: sales@example.com}
notify: true
"""


def test_the_hot_lead_notification_lists_align_without_empty_brackets(
    worker: Worker, smtp_sink: SmtpSink
) -> None:
    do_apply_scoring(RULES)
    lead = Contact.objects.create(email="maria@example.com", first_name="María", status="active")
    now = timezone.now()
    Delivery.objects.create(
        contact=lead,
        kind="marketing",
        subject="Lesson 1",
        status="sent",
        sent_at=now,
        next_attempt_at=now,
        created_at=now,
    )
    facts = []
    for name, properties in (("signed_up", {}), ("purchase", {"value": 30})):
        row = Event.objects.create(
            contact=lead, name=name, properties=properties, occurred_at=now, received_at=now
        )
        facts.append(EventFact(row.id, lead.id, name, now, properties))
    with transaction.atomic():
        score_events(facts, now)
    run_now(worker)
    (note,) = Inbox(smtp_sink).new()
    assert note["to"].addresses[0].addr_spec == "sales@example.com"
    text = text_part(note)
    assert_tidy_text(text)
    at = now.strftime("%Y-%m-%d %H:%M UTC")
    assert f"Recent activity\n\n  * {at}: purchase (value: 30)\n  * {at}: signed_up\n\n" in text
    assert f"Messages received\n\n  * {at}: Lesson 1\n" in text
