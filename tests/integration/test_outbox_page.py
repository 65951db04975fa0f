"""The outbox page and ``goteo outbox`` name what sent each delivery, campaign or not; the
page shows mailers, texts and posts beside emails."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone
from PIL import Image
from tests.integration.flow_helpers import write_pending_deliveries
from tests.integration.form_helpers import apply_form, apply_news_campaign, post

from goteo.actions.social_calendars import do_apply_calendar
from goteo.actions.subscriptions import do_subscribe
from goteo.campaigns.models import Delivery
from goteo.channels.direct_mail.formats import page_format
from goteo.channels.direct_mail.print_house import PrintHouse
from goteo.channels.direct_mail.render import MailerTemplate, render_mailer
from goteo.channels.sms.doubles import FolderSms
from goteo.channels.sms.message import OutgoingSms
from goteo.cli import main
from goteo.contacts.models import Contact
from goteo.contacts.postal import check_postal
from goteo.worker.social import publish_due_posts

pytestmark = pytest.mark.django_db(transaction=True)
CELLS = re.compile(r"<td[^>]*>(.*?)</td>", re.DOTALL)


def _rows(page: str) -> dict[str, list[str]]:
    """The deliveries table: step id -> the row's cells as text (#, channel, status, to,
    campaign, step, …)."""
    table = page[page.index('id="deliveries"') :]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in CELLS.findall(row)]
        rows[cells[5]] = cells
    return rows


def test_a_confirmation_is_labelled_not_none(client: Client, settings: Any) -> None:
    settings.GOTEO_OUTBOX_PAGE, settings.GOTEO_MAILBOX = True, ""
    apply_news_campaign()
    apply_form()
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    ana = Contact.objects.get()
    ana.status = "active"
    ana.save()
    do_subscribe([ana.id], "news", timezone.now())
    assert write_pending_deliveries(timezone.now()) == 1  # the campaign's first message
    Delivery.objects.create(
        contact=ana, kind="notification", step_id="handoff-1", template="lead-handoff",
        channel="email", next_attempt_at=timezone.now(), created_at=timezone.now(),
    )  # fmt: skip

    page = client.get("/outbox").content.decode()
    assert "None" not in page
    rows = _rows(page)
    assert rows["confirm"][4] == "confirmation"
    assert rows["handoff-1"][4] == "lead hand-off"
    assert rows["step-1"][4] == "news-welcome"
    assert {row[1] for row in rows.values()} == {"email"}

    listed = CliRunner().invoke(main, ["outbox"])
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if " confirm " in row)
    assert re.search(r"ana@example\.com\s+confirmation\s+confirm\s", line), line


HOSTILE = '<script>alert("x")</script>'
CALENDAR = f"""\
key: launch
name: Launch
accounts:
  review: {{provider: folder, path: social, locale: en}}
posts:
  - id: hello
    account: review
    at: 2026-03-02 09:00
    text: 'Hello {HOSTILE}'
    link: https://shop.example.com/launch
"""


def _mail_row(contact: Contact, channel: str) -> Delivery:
    return Delivery.objects.create(
        contact=contact, step_id=f"{channel}-1", template="card", channel=channel,
        locale="en", status="sent", next_attempt_at=timezone.now(),
        created_at=timezone.now(), subject=f"postcard card (postcard-a6) {HOSTILE}",
    )  # fmt: skip


def test_the_outbox_shows_mailers_texts_and_posts_escaped_and_by_channel(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    settings.GOTEO_OUTBOX_PAGE, settings.GOTEO_MAILBOX = True, ""
    settings.GOTEO_MAIL_URL = f"folder:{tmp_path / 'print'}"
    settings.GOTEO_SMS_URL = f"folder:{tmp_path / 'sms'}"
    settings.DATA_DIR = tmp_path
    ana = Contact.objects.create(email="ana@example.com", first_name="Ana", status="active")
    mailer, text = _mail_row(ana, "mail"), _mail_row(ana, "sms")
    address, _ = check_postal(
        {"name": "Ana", "lines": ["Calle Mayor 1"], "city": "Madrid", "region": "Madrid",
         "postal_code": "28013", "country": "ES"}
    )  # fmt: skip
    assert address is not None
    card = render_mailer(
        MailerTemplate(html="<p>Hola</p>", front="<h1>Goteo</h1>"),
        {},
        fmt=page_format("postcard-a6"),
        delivery_id=mailer.id,
        address=address,
        sender="Goteo",
        url="https://go.example.com/m/x",
    )
    PrintHouse(tmp_path / "print").deliver(card)
    FolderSms(tmp_path / "sms").send(OutgoingSms(text.id, "+34612345105", f"Hola {HOSTILE}", 2))
    do_apply_calendar(CALENDAR, tmp_path, datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    assert publish_due_posts("test", datetime(2026, 3, 2, 9, 1, tzinfo=UTC)) == 1

    page = client.get("/outbox").content.decode()
    assert "<script>alert" not in page and page.count("&lt;script&gt;alert(") >= 3
    assert f'src="/outbox/mailers/{mailer.id}.png"' in page
    assert "+34 ••••••• 05" in page and "612345105" not in page
    assert 'href="https://shop.example.com/launch"' in page and "review" in page
    texts_only = client.get("/outbox?channel=sms").content.decode()
    assert 'id="texts"' in texts_only and 'id="mailers"' not in texts_only
    assert 'id="posts"' not in texts_only and f"<td>{mailer.id}</td>" not in texts_only
    refused = client.get("/outbox?channel=fax")
    assert refused.status_code == 400 and b"channel: must be one of" in refused.content

    image = client.get(f"/outbox/mailers/{mailer.id}.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["Content-Security-Policy"] == "default-src 'none'"
    assert Image.open(io.BytesIO(image.content)).format == "PNG"
    assert client.get(f"/outbox/mailers/{text.id}.png").status_code == 404  # not a mailer
    assert client.get(f"/outbox/mailers/{mailer.id + 100}.png").status_code == 404
    report = client.get("/outbox/exposures")
    assert report.status_code == 200 and b'id="buckets"' in report.content
    chart = client.get("/outbox/exposures.svg")
    assert chart["Content-Type"] == "image/svg+xml" and b"<script" not in chart.content
    settings.GOTEO_OUTBOX_PAGE = False
    for closed in ("/outbox", f"/outbox/mailers/{mailer.id}.png", "/outbox/exposures"):
        assert client.get(closed).status_code == 404, closed
