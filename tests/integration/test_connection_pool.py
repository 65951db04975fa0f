"""Several connections per worker (``GOTEO_EMAIL_CONNECTIONS``): every message once, over all
of them, with the gate and the recording path shared (docs/channels.md)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import override_settings
from tests.integration.flow_helpers import apply, people, simple_template, write_pending_deliveries
from tests.smtp_sink import SmtpSink

from goteo.actions.contacts import do_set_status
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.config import ConfigError, email_settings
from goteo.engine.clock import ManualClock
from goteo.worker.loop import Worker
from goteo.worker.rate_limits import connection_count
from goteo.worker.setup import build_worker

pytestmark = pytest.mark.django_db(transaction=True)

ONE_SEND = [{"id": "hello", "send": "email", "template": "hello"}]


def pooled_worker(sink: SmtpSink, clock: ManualClock, connections: int) -> Worker:
    with override_settings(
        EMAIL_CONFIG=email_settings(f"{sink.url}?timeout=5"),
        GOTEO_EMAIL_CONNECTIONS=connections,
        GOTEO_DKIM="off",
    ):
        return build_worker(clock, batch=100)


def test_three_connections_carry_every_message_once(
    smtp_sink: SmtpSink, clock: ManualClock
) -> None:
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    ids = people(*(f"p{i}" for i in range(60)))
    do_enroll("drip", ids.values(), clock.now())
    worker = pooled_worker(smtp_sink, clock, 3)
    totals = worker.run_until_idle()
    received = Counter(r for _, rcpts, _ in smtp_sink.messages for r in rcpts)
    assert totals.sent == 60 and received == Counter(list(ids))
    assert len(set(smtp_sink.peers)) == 3  # the messages went over three connections
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert not Delivery.objects.filter(in_flight_until__gt=0).exists()


def test_the_gate_holds_on_every_connection(smtp_sink: SmtpSink, clock: ManualClock) -> None:
    apply("drip", ONE_SEND, {"hello": simple_template("Hello")})
    ids = people(*(f"p{i}" for i in range(30)))
    do_enroll("drip", ids.values(), clock.now())
    assert write_pending_deliveries(clock.now()) == 30  # in the outbox, then they leave
    gone = [e for i, e in enumerate(ids) if i % 3 == 0]
    for email in gone:
        do_set_status(email, "unsubscribed")
    worker = pooled_worker(smtp_sink, clock, 4)
    totals = worker.run_until_idle()
    received = {r for _, rcpts, _ in smtp_sink.messages for r in rcpts}
    assert received == set(ids) - set(gone)
    assert (totals.sent, totals.suppressed) == (20, 10)


@pytest.mark.parametrize("text", ["0", "33", "four", "-1"])
def test_a_connection_count_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="GOTEO_EMAIL_CONNECTIONS"):
        connection_count(text)
