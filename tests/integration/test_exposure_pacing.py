"""Exposure pacing through the worker: touches spread over email (real SMTP) and mail (the
print-house folder), the frequency cap never broken, and the report of who is on pace.

The worker runs in this process on a manual clock moved hour by hour.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import (
    T0,
    Inbox,
    add_contacts,
    campaign_source,
    close_worker,
    make_worker,
    simple_template,
)
from tests.integration.test_openapi import problems, response_schema
from tests.integration.test_pacing import run_hourly
from tests.smtp_sink import SmtpSink

from goteo.actions.api_keys import do_create_api_key
from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus, Enrollment
from goteo.campaigns.reports import campaign_report
from goteo.cli import main
from goteo.engine.clock import ManualClock
from goteo.engine.pacing import Cap, cap_allows

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(days=1)
CAP = "2/4d"
ADDRESS = {"name": "Ana Nowak", "lines": ["ul. Długa 5"], "city": "Kraków",
           "postal_code": "31-147", "country": "PL"}  # fmt: skip
CARD = {"en": {"subject": "Card", "html": "<p>Hello {{ contact.first_name | default: 'you' }}</p>",
               "format": "postcard-a6"}}  # fmt: skip
# 8 touches in 16 days: one every 2 days, which a cap of 2 in 4 days lets through.
PACED = campaign_source(
    "drip",
    [{"id": "drip", "touch": {"email": ["tip_a", "tip_b"], "mail": "card"}}],
    {"tip_a": simple_template("Tip A"), "tip_b": simple_template("Tip B"), "card": CARD},
    pacing={"exposures": 8, "within": "16d", "channels": ["email", "mail"]},
)
NEWS = campaign_source(
    "news",
    [{"send": "email", "template": f"n{i}", "id": f"n{i}"} for i in range(1, 4)],
    {f"n{i}": simple_template(f"News {i}") for i in range(1, 4)},
    priority=10,
)


def test_touches_spread_over_channels_within_the_cap_and_reported(
    settings: Any, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    settings.GOTEO_FREQUENCY_CAP = CAP
    settings.GOTEO_QUIET_HOURS = "21:00-08:00"
    settings.GOTEO_MAIL_URL = f"folder:{tmp_path}"
    assert do_apply_campaign(PACED).warnings == []
    do_apply_campaign(NEWS)
    ids = add_contacts(
        {"email": "ana@example.com", "first_name": "Ana", "postal_address": ADDRESS},
        {"email": "bob@example.com", "first_name": "Bob", "timezone": "America/New_York"},
        # Cai also gets the news: three messages at once, ahead in priority, taking slots.
        {"email": "cai@example.com", "first_name": "Cai", "postal_address": ADDRESS},
    )
    clock = ManualClock(T0)
    assert do_enroll("drip", list(ids.values()), clock.now()).enrolled == 3
    assert do_enroll("news", [ids["cai@example.com"]], clock.now()).enrolled == 1
    worker = make_worker(smtp_sink, clock)
    try:
        run_hourly(worker, clock, T0 + 18 * DAY)
    finally:
        close_worker(worker)

    rows = list(Delivery.objects.select_related("contact").order_by("id"))
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    cap = Cap(2, 4 * DAY)
    for email in ids:
        times = sorted(r.sent_at for r in rows if r.contact.email == email and r.sent_at)
        for i, at in enumerate(times):  # never more than 2 in any 4 days
            assert cap_allows(at, times[:i], cap), email
    touches = Counter((r.contact.email, r.channel) for r in rows if r.step_id.startswith("drip."))
    assert touches == Counter(
        {
            ("ana@example.com", "email"): 4,
            ("ana@example.com", "mail"): 4,
            ("bob@example.com", "email"): 8,  # no postal address: email only
            # The news counted towards Cai's target: fewer touches from this campaign.
            ("cai@example.com", "email"): 3,
            ("cai@example.com", "mail"): 2,
        }
    )
    ana = sorted(r.sent_at for r in rows if r.contact.email == "ana@example.com" and r.sent_at)
    assert ana[0] == T0 and ana[1] - ana[0] == 2 * DAY  # evenly, one every 2 days
    assert len(Inbox(smtp_sink).all()) == 4 + 8 + 3 + 3
    assert set(
        Enrollment.objects.filter(campaign__key="drip").values_list("status", flat=True)
    ) == {"completed"}

    pacing = campaign_report("drip", now=T0 + 18 * DAY)["pacing"]
    assert (pacing["journeys"], pacing["on_pace"], pacing["behind"]) == (3, 3, 0)
    assert {p["email"]: p["actual"] for p in pacing["listed"]} == {
        "ana@example.com": 8,
        "bob@example.com": 8,
        "cai@example.com": 8,
    }
    shown = CliRunner().invoke(main, ["contacts", "show", "ana@example.com"])
    assert shown.exit_code == 0, shown.output
    assert "pacing:" in shown.output and "on pace" in shown.output
    printed = CliRunner().invoke(main, ["report", "drip"])
    assert "pacing: 3 journey(s): 3 on pace, 0 ahead, 0 behind" in printed.output

    # The API's report and card say the same, in their documented shapes.
    key = do_create_api_key("r", ["reports:read", "contacts:read"], timezone.now()).key
    client, auth = Client(), {"Authorization": f"Bearer {key}"}
    document = client.get("/api/v1/openapi.json").json()
    for path, url in (
        ("/api/v1/reports/campaigns/{key}", "/api/v1/reports/campaigns/drip"),
        ("/api/v1/contacts/{email}", "/api/v1/contacts/cai@example.com"),
    ):
        body = client.get(url, headers=auth).json()
        schema = response_schema(document["paths"][path]["get"], 200)
        assert schema is not None and problems(schema, body, document) == [], path
        standing = body["pacing"] if "listed" not in body["pacing"] else body["pacing"]["listed"]
        assert [(s["status"], s["actual"]) for s in standing][-1:] == [("on pace", 8)], path

    # The web app's step table: the touch step with the figures of all its touches.
    page = signed_in("viewer").get("/app/campaigns/drip").content.decode()
    row = re.search(r"<tr><th scope=\"row\"><code>drip</code>(.*?)</tr>", page, re.S)
    assert row and "paced touches" in row[1], page
    assert re.findall(r'<td class="num">(\d+)</td>', row[1])[:2] == ["0", "21"]


def test_a_target_the_cap_cannot_let_through_is_a_warning_on_its_line(settings: Any) -> None:
    settings.GOTEO_FREQUENCY_CAP = "1/4d"
    settings.GOTEO_MAIL_URL = "folder:/nonexistent-but-configured"
    warnings = do_apply_campaign(PACED).warnings
    assert [str(w) for w in warnings] == [
        "line 5: pacing.exposures: 8 exposures within 16d cannot be met under the frequency "
        "cap 1/4d (GOTEO_FREQUENCY_CAP), which lets at most 4 through: the touches will fall "
        "behind"
    ]
