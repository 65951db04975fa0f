"""``wait: {after: in_home, for: 3d}`` end to end: the real worker on a manual clock hands a
postcard to the loopback print API, which promises an in-home date (or none), and sends the
follow-up email over SMTP three days after that date (or three days after the card)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tests.in_home_campaign import DOC
from tests.integration.flow_helpers import T0, Inbox, add_contacts, close_worker, make_worker
from tests.integration.print_api_server import KEY, PrintApi
from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus, Exposure
from goteo.channels.direct_mail.lob import idempotency_key
from goteo.engine.clock import ManualClock
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

ANN = {
    "email": "ann@example.com", "first_name": "Ann", "locale": "en",
    "postal_address": {"name": "Ann Lee", "lines": ["1600 Amphitheatre Pkwy"],
                       "city": "Mountain View", "region": "CA", "postal_code": "94043",
                       "country": "US"},
}  # fmt: skip
SENDER = {"name": "Goteo", "lines": ["Calle Mayor 1"], "city": "Madrid",
          "postal_code": "28013", "region": "Madrid", "country": "ES"}  # fmt: skip
IN_HOME = date(2025, 3, 11)  # six days after T0 (Wednesday 5 March 2025, 14:00 UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture(params=[IN_HOME.isoformat(), None], ids=["with-date", "without-date"])
def api(request: pytest.FixtureRequest, settings: Any) -> Iterator[PrintApi]:
    """The print API, promising ``IN_HOME`` or no date, configured as the mail provider."""
    server = PrintApi(expected_delivery=request.param)
    port = server.loopback.server.server_address[1]
    settings.GOTEO_MAIL_URL = f"lob+http://{KEY}@127.0.0.1:{port}"
    settings.GOTEO_MAIL_SENDER = json.dumps(SENDER)
    yield server
    server.close()


@pytest.fixture
def journey(api: PrintApi, smtp_sink: SmtpSink) -> Iterator[Worker]:
    """Ann enrolled at T0 in the card campaign, and a worker on a manual clock at T0."""
    do_apply_campaign(DOC)
    do_enroll("card", add_contacts(ANN).values(), T0)
    worker = make_worker(smtp_sink, ManualClock(T0))
    yield worker
    close_worker(worker)


def run_at(worker: Worker, when: datetime) -> None:
    """Run the worker at ``when`` until nothing is due."""
    assert isinstance(worker.clock, ManualClock)
    worker.clock.set(when)
    worker.run_until_idle()


def test_the_email_follows_three_days_after_the_promised_in_home_date(
    api: PrintApi, journey: Worker, smtp_sink: SmtpSink, settings: Any
) -> None:
    promised = api.expected_delivery is not None
    inbox = Inbox(smtp_sink)
    run_at(journey, T0)
    card = Delivery.objects.get(step_id="card")
    assert (card.channel, card.status) == ("mail", DeliveryStatus.SENT)
    assert card.expected_in_home == (IN_HOME if promised else None)
    assert api.accepted() == [idempotency_key(settings.SECRET_KEY, card.id)]
    assert [r["path"] for r in api.requests] == ["/v1/postcards"]
    assert inbox.all() == []

    in_home = datetime(2025, 3, 11, tzinfo=UTC)
    due = in_home + timedelta(days=3) if promised else T0 + timedelta(days=3)
    # The plain three days wake the wait; with a promised date it sleeps on until that date
    # plus three days. Nothing goes before then, however often the worker runs.
    plain = T0 + timedelta(days=3)
    for moment in sorted({plain - MINUTE, plain + MINUTE, due - MINUTE}):
        if moment < due:
            run_at(journey, moment)
            assert inbox.all() == [], f"sent at {moment}, before {due}"
    run_at(journey, due + MINUTE)
    assert [str(m["Subject"]) for m in inbox.all()] == ["Thanks"]
    run_at(journey, due + timedelta(days=10))
    assert [str(m["Subject"]) for m in inbox.all()] == ["Thanks"]  # once
    assert len(api.requests) == 1  # the card was asked for once, and accepted once

    thanks = Delivery.objects.get(step_id="thanks")
    assert (thanks.status, thanks.sent_at) == (DeliveryStatus.SENT, due + MINUTE)
    ledger = list(
        Exposure.objects.filter(contact__email=ANN["email"])
        .order_by("occurred_at")
        .values_list("channel", "kind", "step_id", "occurred_at")
    )
    card_at = in_home if promised else T0  # a mailer is dated when in home, or when it went
    assert ledger == [
        ("mail", "in_home", "card", card_at),
        ("email", "sent", "thanks", due + MINUTE),
    ]
