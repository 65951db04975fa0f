"""What the worker tells its operator: warnings about connections and failed messages, the
progress line while work flows, and what is left when it stops.

The worker runs in this process on a manual clock against a real SMTP server on loopback (or
a loopback port where nothing listens, for a refused connection); the log lines are read back
with pytest's ``caplog``.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from tests.integration.flow_helpers import (
    T0,
    apply,
    close_worker,
    make_worker,
    people,
    simple_template,
    write_pending_deliveries,
)
from tests.integration.webhook_receiver import WebhookReceiver
from tests.smtp_sink import SmtpSink, free_port

from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.engine.clock import ManualClock
from goteo.worker.backoff import MAX_ATTEMPTS
from goteo.worker.idle import describe, run_until_settled, waiting
from goteo.worker.loop import Totals, Worker
from goteo.worker.progress import Progress

pytestmark = pytest.mark.django_db(transaction=True)

ONE_SEND = [{"id": "hello", "send": "email", "template": "hello"}]
HELLO = {"hello": simple_template("Hello")}
PROGRESS = "goteo.worker.progress"
SMTP = "goteo.channels.email.smtp"


def owed_one_message(*names: str) -> None:
    """Contacts enrolled in a one-message campaign; their messages are written, not sent."""
    apply("hello", ONE_SEND, HELLO)
    ids = people(*names)
    do_enroll("hello", list(ids.values()), T0)
    write_pending_deliveries(T0)


def lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == logger]


def test_a_refused_connection_is_one_warning_and_its_end_another(
    smtp_sink: SmtpSink, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    owed_one_message("ana", "bob", "eve")
    port = free_port()  # nothing listens here yet: every connection is refused
    w = make_worker(SmtpSink(port=port), clock)
    caplog.set_level(logging.WARNING)
    try:
        first = w.run_until_idle()
        assert (first.sent, first.retried) == (0, 3)
        logged = lines(caplog, SMTP)
        assert len(logged) == 1, logged
        level, text = logged[0]
        assert level == logging.WARNING
        assert text.startswith(f"cannot connect to 127.0.0.1:{port}: ")
        assert text.endswith("; the message waits for a retry")

        sink = SmtpSink(port=port).start()  # the server comes back
        try:
            clock.advance(timedelta(minutes=2))
            w.run_until_idle()
        finally:
            sink.stop()
    finally:
        close_worker(w)
    assert len(sink.messages) == 3
    assert lines(caplog, SMTP)[1:] == [
        (logging.WARNING, f"the SMTP server 127.0.0.1:{port} answers again after 3 failed attempts")
    ]


def test_every_permanent_failure_is_a_warning(
    smtp_sink: SmtpSink, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    owed_one_message("ana", "bob", "eve")
    smtp_sink.responses["bob@example.com"] = "550 5.1.1 no such user"
    stuck = Delivery.objects.get(contact__email="eve@example.com")
    Delivery.objects.filter(id=stuck.id).update(attempts=MAX_ATTEMPTS)  # its workers kept dying
    bob = Delivery.objects.get(contact__email="bob@example.com")
    caplog.set_level(logging.WARNING)

    totals = worker.run_until_idle()

    assert (totals.sent, totals.failed) == (1, 2)
    assert sorted(lines(caplog, "goteo.worker.delivering")) == sorted(
        [
            (logging.WARNING, f"delivery {bob.id} failed: RCPT TO: 550 5.1.1 no such user"),
            (
                logging.WARNING,
                f"delivery {stuck.id} failed: gave up after {MAX_ATTEMPTS} attempts that never "
                "finished",
            ),
        ]
    )
    assert lines(caplog, SMTP) == []  # the server answered: no connection trouble


def test_a_webhook_that_fails_for_good_is_a_warning(
    worker: Worker, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = WebhookReceiver(status=410)
    try:
        apply("hook", [{"id": "crm", "webhook": {"url": receiver.url}}], HELLO)
        do_enroll("hook", list(people("ana").values()), clock.now())
        caplog.set_level(logging.WARNING)
        totals = worker.run_until_idle()
    finally:
        receiver.stop()
    assert totals.failed == 1 and len(receiver.calls) == 1
    (delivery,) = Delivery.objects.all()
    assert lines(caplog, "goteo.worker.staff") == [
        (logging.WARNING, f"delivery {delivery.id} (webhook) failed: HTTP 410 from {receiver.url}")
    ]


RATE = re.compile(r" \([\d,.]+/s\)")


def test_the_progress_line_says_what_was_done_and_what_is_due(
    smtp_sink: SmtpSink, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    owed_one_message("ana", "bob", "eve", "ivan", "olga")
    clock.advance(timedelta(seconds=90))  # the messages have been due for a minute and a half
    w = make_worker(smtp_sink, clock, send_batch=2, progress=Progress(every=1e-9))
    caplog.set_level(logging.INFO, logger=PROGRESS)
    try:
        w.run_until_idle()
    finally:
        close_worker(w)
    logged = [(level, RATE.sub("", text)) for level, text in lines(caplog, PROGRESS)]
    counts = "steps 0, sent {}, retried 0, failed 0, suppressed 0, postponed 0; backlog {}"
    assert logged == [
        (logging.INFO, counts.format(2, "3 due, lag 1m30s")),
        (logging.INFO, counts.format(4, "1 due, lag 1m30s")),
        (logging.INFO, counts.format(5, "0 due, lag 0s")),
    ]
    assert all(RATE.search(text) for _, text in lines(caplog, PROGRESS))


@pytest.mark.django_db
def test_progress_lines_come_every_few_seconds_and_only_while_work_flows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seconds = [100.0]
    progress = Progress(every=5.0, monotonic=lambda: seconds[0])
    totals = Totals()
    caplog.set_level(logging.INFO, logger=PROGRESS)
    for _ in range(12):  # a message a second for twelve seconds
        seconds[0] += 1
        totals.sent += 1
        progress.tick(totals, T0)
    assert [RATE.sub("", t).split(";")[0] for _, t in lines(caplog, PROGRESS)] == [
        "steps 0, sent 5, retried 0, failed 0, suppressed 0, postponed 0",
        "steps 0, sent 10, retried 0, failed 0, suppressed 0, postponed 0",
    ]
    assert "sent 5 (1.0/s)" in lines(caplog, PROGRESS)[0][1]
    caplog.clear()
    for _ in range(30):  # then nothing for thirty seconds: the last two, then silence
        seconds[0] += 1
        progress.tick(totals, T0)
    assert [RATE.sub("", t).split(";")[0] for _, t in lines(caplog, PROGRESS)] == [
        "steps 0, sent 12, retried 0, failed 0, suppressed 0, postponed 0",
    ]
    assert "sent 12 (0.4/s)" in lines(caplog, PROGRESS)[0][1]
    caplog.clear()
    seconds[0] += 1
    totals.failed += 1
    progress.tick(totals, T0)  # work again: the next line comes five seconds later
    assert lines(caplog, PROGRESS) == []
    seconds[0] += 5
    progress.tick(totals, T0)
    assert len(lines(caplog, PROGRESS)) == 1
    Progress(every=0, monotonic=lambda: seconds[0]).tick(Totals(sent=9), T0)
    assert len(lines(caplog, PROGRESS)) == 1  # 0: no progress lines


def test_an_idle_worker_logs_nothing(worker: Worker, caplog: pytest.LogCaptureFixture) -> None:
    worker.progress = Progress(every=1e-9)
    caplog.set_level(logging.INFO)
    worker.run_until_idle()
    assert [r for r in caplog.records if r.name.startswith("goteo")] == []


def test_what_is_left_when_nothing_is_due(
    smtp_sink: SmtpSink, worker: Worker, clock: ManualClock
) -> None:
    owed_one_message("ana", "bob")
    smtp_sink.responses["bob@example.com"] = "451 4.3.0 try again later"
    worker.run_until_idle()
    left = waiting(clock.now())
    assert (left.retrying, left.postponed, left.held, left.journeys) == (1, 0, 0, 0)
    assert left.next_retry is not None
    wait = left.next_retry - clock.now()
    assert timedelta(seconds=54) <= wait <= timedelta(seconds=66)  # one minute, give or take
    text = describe(left, clock.now())
    assert re.fullmatch(
        r"left: 1 message waiting to be retried, the next due 2025-03-05 14:0[01]:\d\d UTC "
        r"\(in (5\ds|1m(\ds)?)\)",
        text,
    ), text
    assert describe(waiting(clock.now() + timedelta(minutes=2)), clock.now()) == (
        "nothing left to do"
    )


def test_waiting_for_retries_sends_them_within_the_bound(
    smtp_sink: SmtpSink, worker: Worker, clock: ManualClock
) -> None:
    owed_one_message("ana", "bob")
    smtp_sink.responses["bob@example.com"] = "451 4.3.0 try again later"
    naps: list[float] = []

    def nap(seconds: float) -> None:  # a minute of the manual clock passes per real second
        naps.append(seconds)
        if len(naps) == 3:
            smtp_sink.responses.clear()  # the server takes bob's mail again
        clock.advance(timedelta(minutes=seconds))

    left = run_until_settled(worker, max_wait=600, sleep=nap)
    assert (left.retrying, left.postponed) == (0, 0)
    assert worker.totals.sent == 2 and worker.totals.retried >= 1
    statuses = Delivery.objects.values_list("status", flat=True)
    assert set(statuses) == {DeliveryStatus.SENT}
    assert all(0 < n <= 1.0 for n in naps), naps

    # Bounded: a server that never takes the mail is waited for max_wait, no longer.
    owed_again = people("zoe")
    do_enroll("hello", list(owed_again.values()), clock.now())
    smtp_sink.responses["zoe@example.com"] = "451 4.3.0 try again later"
    elapsed = [0.0]

    def real_nap(seconds: float) -> None:
        elapsed[0] += seconds
        clock.advance(timedelta(minutes=seconds))

    left = run_until_settled(worker, max_wait=3, sleep=real_nap, monotonic=lambda: elapsed[0])
    assert left.retrying == 1
    assert 3 <= elapsed[0] < 4
