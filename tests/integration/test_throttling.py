"""A provider that says "too fast" slows the worker down and loses nothing, and a domain's limit
holds back only that domain's messages: against real servers on loopback, on the worker's
manual clock (so every wait is an assertion on recorded times, never on wall time)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.test import override_settings
from tests.integration.flow_helpers import T0, add_contacts, apply, simple_template
from tests.integration.fuzzing import Records
from tests.loopback_http import LoopbackServer
from tests.smtp_sink import SmtpSink

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.channels.configured import build_channels
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.django_channel import DjangoBackendChannel
from goteo.channels.email.factory import email_channel
from goteo.channels.registry import Channels
from goteo.config import email_settings
from goteo.contacts.models import Contact, Suppression
from goteo.engine.clock import ManualClock
from goteo.worker.backoff import PAUSE
from goteo.worker.domain_limits import DomainLimit, domain_of
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)


def smtp_channels(sink: SmtpSink) -> Channels:
    transport = email_channel(email_settings(f"{sink.url}?timeout=5"))
    return build_channels(transport, Composer(sender_from_settings()))


def campaign_to(*addresses: str) -> None:
    apply("hello", [{"id": "hello", "send": "email", "template": "hello"}], {
        "hello": simple_template("Hello")
    })  # fmt: skip
    ids = add_contacts(*({"email": a, "locale": "en"} for a in addresses))
    do_enroll("hello", ids.values(), T0)


def run_until_idle(worker: Worker) -> None:
    """Run passes until nothing is due now, keeping the worker (and what it learnt)."""
    while worker.run_once():
        pass


def drain(worker: Worker, clock: ManualClock, step: timedelta, want: int) -> None:
    """Run, move the clock ``step`` on, and again, until ``want`` messages are sent."""
    for _ in range(200):
        run_until_idle(worker)
        if Delivery.objects.filter(status=DeliveryStatus.SENT).count() >= want:
            return
        clock.advance(step)
    raise AssertionError("the messages never all went")


def assert_none_failed_or_suppressed(count: int) -> None:
    rows = Delivery.objects.all()
    assert [(r.status, r.attempts) for r in rows] == [(DeliveryStatus.SENT, 1)] * count
    assert not Suppression.objects.exists()  # a throttle answer is never a bounce
    assert set(Contact.objects.values_list("status", flat=True)) == {"active"}


def test_an_smtp_server_that_throttles_the_first_messages_gets_them_all_later(
    log: Records,
) -> None:
    sink = SmtpSink().start()
    # Gmail's and Outlook's ways of saying it, for the first four messages.
    sink.replies = [
        "421 4.7.0 Too many messages, slow down",
        "451 4.7.28 Our system has detected an unusual rate of mail; rate limited",
        "452 4.7.1 Message rate exceeded",
        "450 4.7.0 Try again later",
    ]
    addresses = [f"p{i}@example.com" for i in range(8)]
    campaign_to(*addresses)
    clock = ManualClock(T0)
    worker = Worker(clock=clock, channels=smtp_channels(sink))
    try:
        run_until_idle(worker)
        # The first answer paused the channel: the message and those behind it wait for the
        # pause, none of them an attempt.
        pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
        assert pending.count() == 8
        assert {r.next_attempt_at for r in pending} == {T0 + PAUSE}
        assert {r.attempts for r in pending} == {0}
        drain(worker, clock, PAUSE, 8)
    finally:
        worker.close()
        sink.stop()
    assert sorted(r for _, [r], _ in sink.messages) == addresses  # every one arrived, once
    assert sink.replies == []
    assert_none_failed_or_suppressed(8)
    messages = [r.getMessage() for r in log.records]
    slowed = [m for m in messages if "the provider asked to slow down" in m]
    assert slowed and slowed[0].startswith("email: the provider asked to slow down (")


# An ESP's HTTP API (Postmark's shape) on loopback, through anymail.


class Postmark:
    """``POST /email``: answers ``refusals`` first (status, Retry-After), then accepts."""

    def __init__(self) -> None:
        self.refusals: list[tuple[int, str]] = []
        self.accepted: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if api.refusals:
                    status, wait = api.refusals.pop(0)
                    answer: dict[str, Any] = {"ErrorCode": 0, "Message": "Rate limit exceeded"}
                    self._send(status, answer, {"Retry-After": wait})
                    return
                api.accepted.append(body)
                answer = {
                    "To": body["To"], "SubmittedAt": "2025-03-05T14:00:00Z",
                    "MessageID": f"pm-{len(api.accepted)}", "ErrorCode": 0, "Message": "OK",
                }  # fmt: skip
                self._send(200, answer, {})

            def _send(self, status: int, answer: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.loopback = LoopbackServer(Handler)


@pytest.fixture
def postmark() -> Iterator[Postmark]:
    api = Postmark()
    anymail = {"POSTMARK_SERVER_TOKEN": "token", "POSTMARK_API_URL": api.loopback.base_url}
    with override_settings(ANYMAIL=anymail):
        yield api
    api.loopback.stop()


def test_an_esp_answering_429_with_retry_after_is_waited_for(postmark: Postmark) -> None:
    in_90s = format_datetime(datetime.now(tz=T0.tzinfo) + timedelta(seconds=90), usegmt=True)
    postmark.refusals = [(429, "120"), (503, in_90s)]
    campaign_to("ana@example.com")
    transport = DjangoBackendChannel("anymail.backends.postmark.EmailBackend")
    clock = ManualClock(T0)
    worker = Worker(
        clock=clock, channels=build_channels(transport, Composer(sender_from_settings()))
    )
    try:
        run_until_idle(worker)
        row = Delivery.objects.get()
        # Retry-After in seconds: exactly that wait, on the worker's clock; no attempt used.
        assert (row.status, row.attempts, row.next_attempt_at) == (
            DeliveryStatus.PENDING, 0, T0 + timedelta(seconds=120),
        )  # fmt: skip
        assert "AnymailRequestsAPIError" in row.last_error and "429" in row.last_error
        clock.advance(timedelta(seconds=120))
        run_until_idle(worker)
        row.refresh_from_db()
        # As an HTTP date: the seconds until then (the date has whole seconds).
        later = T0 + timedelta(seconds=120)
        assert row.status == DeliveryStatus.PENDING and row.attempts == 0
        assert later + timedelta(seconds=88) <= row.next_attempt_at <= later + timedelta(seconds=90)
        clock.set(row.next_attempt_at)
        run_until_idle(worker)
    finally:
        worker.close()
    assert len(postmark.accepted) == 1 and postmark.refusals == []
    assert_none_failed_or_suppressed(1)


# Per-domain limits.

GMAIL = [f"{n}@gmail.com" for n in ("ana", "ben", "cai", "dan", "eva", "fay")] + ["Gus@GMail.com"]
OTHERS = [f"p{i}@example.com" for i in range(5)]


def test_a_domain_limit_holds_back_that_domain_only(smtp_sink: SmtpSink) -> None:
    limit = DomainLimit(2, timedelta(minutes=1))
    campaign_to(*GMAIL, *OTHERS)
    clock = ManualClock(T0)
    smtp_sink.clock = clock.now
    worker = Worker(
        clock=clock,
        channels=smtp_channels(smtp_sink),
        more_connections=[smtp_channels(smtp_sink)],  # the limit is shared by both
        domain_limits={"gmail.com": limit},
        send_batch=4,  # gmail and other messages in the same batches
    )
    try:
        run_until_idle(worker)
        first = [r for _, [r], _ in smtp_sink.messages]
        # Nothing held the other domain back; gmail.com had its two.
        assert sorted(r for r in first if r in OTHERS) == OTHERS
        assert len([r for r in first if domain_of(r) == "gmail.com"]) == 2
        postponed = Delivery.objects.filter(status=DeliveryStatus.PENDING)
        assert postponed.count() == 5 and {r.attempts for r in postponed} == {0}
        assert {r.last_error for r in postponed} == {
            "postponed: gmail.com: at most 2 per 60 s (GOTEO_DOMAIN_LIMITS)"
        }
        drain(worker, clock, timedelta(seconds=10), len(GMAIL) + len(OTHERS))
    finally:
        worker.close()
    arrivals = list(
        zip(smtp_sink.received_at, (r for _, [r], _ in smtp_sink.messages), strict=True)
    )
    gmail = sorted(at for at, r in arrivals if domain_of(r) == "gmail.com")
    assert len(gmail) == len(GMAIL)
    for at in gmail:  # never more than two in any minute, as the worker's clock counts
        assert len([t for t in gmail if at <= t < at + limit.period]) <= limit.count
    assert {at for at, r in arrivals if r in OTHERS} == {T0}
    assert_none_failed_or_suppressed(len(GMAIL) + len(OTHERS))
