"""The outbox page and ``goteo outbox`` name what sent each delivery, campaign or not."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone
from tests.integration.flow_helpers import write_pending_deliveries
from tests.integration.form_helpers import apply_form, apply_news_campaign, post

from goteo.actions.subscriptions import do_subscribe
from goteo.campaigns.models import Delivery
from goteo.cli import main
from goteo.contacts.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)
CELLS = re.compile(r"<td[^>]*>(.*?)</td>", re.DOTALL)


def _rows(page: str) -> dict[str, list[str]]:
    """The deliveries table: step id -> the row's cells as text."""
    table = page[page.index('id="deliveries"') :]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in CELLS.findall(row)]
        rows[cells[4]] = cells
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
    assert rows["confirm"][3] == "confirmation"
    assert rows["handoff-1"][3] == "lead hand-off"
    assert rows["step-1"][3] == "news-welcome"

    listed = CliRunner().invoke(main, ["outbox"])
    assert listed.exit_code == 0, listed.output
    line = next(row for row in listed.output.splitlines() if " confirm " in row)
    assert re.search(r"ana@example\.com\s+confirmation\s+confirm\s", line), line
