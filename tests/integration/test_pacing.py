"""Pacing end to end: the frequency cap with priorities, quiet hours, transactional messages.

The worker runs in this process on a manual clock moved hour by hour, against a real SMTP
server; the settings are changed with pytest-django's ``settings`` before the worker is built.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from tests.conftest import on_postgres
from tests.integration.flow_helpers import (
    T0,
    Inbox,
    add_contacts,
    apply,
    close_worker,
    make_worker,
    simple_template,
    spy_on_email,
    write_pending_deliveries,
)
from tests.integration.slow_sink import SlowSink
from tests.smtp_sink import SmtpSink

from goteo.actions.enroll import do_enroll
from goteo.actions.messages import do_queue_transactional
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.contacts.models import Contact
from goteo.engine.clock import ManualClock
from goteo.engine.pacing import parse_quiet_hours
from goteo.worker.claims import claim_deliveries, send_facts
from goteo.worker.delivering import send_claimed
from goteo.worker.loop import Worker
from goteo.worker.pacing_config import pacing_from_settings
from goteo.worker.sender_thread import SenderThread

pytestmark = pytest.mark.django_db(transaction=True)

HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(days=7)


def send(step_id: str) -> dict[str, str]:
    return {"id": step_id, "send": "email", "template": step_id}


def wait(duration: str, step_id: str) -> dict[str, str]:
    return {"id": step_id, "wait": duration}


def templates(*names: str) -> dict[str, object]:
    greeting = "{{ contact.first_name | default: 'you' }}"
    return {n: simple_template(f"{n} for {greeting}") for n in names}


def run_hourly(worker: Worker, clock: ManualClock, until: datetime) -> None:
    """Every hour on the hour, one worker pass after another until nothing is due."""
    while True:
        while worker.run_once():
            pass
        if clock.now() >= until:
            return
        clock.advance(HOUR)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


# 1. Three campaigns compete for each contact under a cap of 2 per week -----------------------

ALERTS = [send("a1"), wait("3d", "w1"), send("a2"), wait("3d", "w2"), send("a3")]
OFFERS = [send("o1"), wait("2d", "w1"), send("o2")]
NEWS = [send("n1"), wait("1d", "w1"), send("n2"), wait("1d", "w2"), send("n3")]
PRIORITY = {"alerts": 10, "offers": 5, "news": 0}


def priority_of(delivery: Delivery) -> int:
    assert delivery.campaign is not None
    return PRIORITY[delivery.campaign.key]


# Who gets what when, in days after T0. At T0 a1 and o1 take both slots; everything else waits
# for the next week, and the highest priority goes first (the oldest first within one).
EXPECTED_DAYS = {"a1": 0, "o1": 0, "a2": 7, "a3": 7, "o2": 14, "n1": 14, "n2": 21, "n3": 21}
ALONE_DAYS = {"n1": 0, "n2": 1, "n3": 7}  # news only: its third message waits for a slot


def test_frequency_cap_with_priorities_over_weeks(
    settings: Any, smtp_sink: SmtpSink, clock: ManualClock
) -> None:
    settings.GOTEO_FREQUENCY_CAP = "2/7d"
    settings.GOTEO_QUIET_HOURS = ""
    apply("alerts", ALERTS, templates("a1", "a2", "a3"), priority=10)
    apply("offers", OFFERS, templates("o1", "o2"), priority=5)
    apply("news", NEWS, templates("n1", "n2", "n3"))  # priority 0 by default
    ids = add_contacts(
        {"email": "ana@example.com", "first_name": "Ana", "timezone": "Europe/Madrid"},
        {"email": "bob@example.com", "first_name": "Bob", "timezone": "America/New_York"},
        {"email": "cai@example.com", "first_name": "Cai"},
        {"email": "solo@example.com", "first_name": "Solo"},
    )
    competing = [ids[e] for e in ("ana@example.com", "bob@example.com", "cai@example.com")]
    for key in ("news", "offers", "alerts"):  # the lowest priority enrolled (and written) first
        assert do_enroll(key, competing, clock.now()).enrolled == 3
    assert do_enroll("news", [ids["solo@example.com"]], clock.now()).enrolled == 1

    worker = make_worker(smtp_sink, clock)
    try:
        run_hourly(worker, clock, T0 + 6 * WEEK)
    finally:
        close_worker(worker)

    rows = list(Delivery.objects.select_related("contact", "campaign").order_by("id"))
    assert len(rows) == 3 * 8 + 3
    # Nothing lost: every message was sent exactly once, each claim-and-postpone was free.
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert {(r.attempts, r.last_error) for r in rows} == {(1, "")}
    received = Counter(str(m["message-id"]) for m in Inbox(smtp_sink).all())
    assert received == Counter({r.message_id: 1 for r in rows})
    assert worker.totals.postponed > 0

    by_contact: dict[str, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_contact[row.contact.email].append(row)
    for email, sent in by_contact.items():
        expected = ALONE_DAYS if email == "solo@example.com" else EXPECTED_DAYS
        assert {r.step_id: r.sent_at for r in sent} == {
            step: T0 + days * DAY for step, days in expected.items()
        }, email
        times = sorted(r.sent_at for r in sent if r.sent_at is not None)
        for earlier, later in zip(times, times[2:], strict=False):
            assert later - earlier >= WEEK, email  # never more than 2 in any 7 days
        for high in sent:
            for low in sent:
                if priority_of(high) > priority_of(low):
                    assert high.sent_at is not None and low.sent_at is not None
                    # A lower priority never went while a higher one was waiting.
                    assert not high.created_at <= low.sent_at < high.sent_at, (email, high, low)


# 2. Quiet hours on the contact's wall clock, across daylight-saving changes --------------------

PEOPLE = (
    {"email": "madrid@example.com", "first_name": "Marta", "timezone": "Europe/Madrid"},
    {"email": "york@example.com", "first_name": "Yuri", "timezone": "America/New_York"},
    {"email": "utc@example.com", "first_name": "Uma"},  # no time zone: UTC
)
# (campaign, enrolled at, who) -> when each is sent
ROUNDS = [
    # Saturday 29 March, 21:00 UTC: 22:00 in Madrid; clocks go forward there that night, so
    # 08:00 is 06:00 UTC. New York (17:00, summer time since 9 March) gets it at once.
    (
        "spring",
        datetime(2025, 3, 29, 21, tzinfo=UTC),
        {
            "madrid@example.com": datetime(2025, 3, 30, 6, tzinfo=UTC),
            "york@example.com": datetime(2025, 3, 29, 21, tzinfo=UTC),
            "utc@example.com": datetime(2025, 3, 30, 8, tzinfo=UTC),
        },
    ),
    # Saturday 25 October, 20:00 UTC: 22:00 in Madrid; clocks go back there that night, so
    # 08:00 is 07:00 UTC. In UTC it is 20:00, not yet quiet.
    (
        "autumn",
        datetime(2025, 10, 25, 20, tzinfo=UTC),
        {
            "madrid@example.com": datetime(2025, 10, 26, 7, tzinfo=UTC),
            "york@example.com": datetime(2025, 10, 25, 20, tzinfo=UTC),
            "utc@example.com": datetime(2025, 10, 25, 20, tzinfo=UTC),
        },
    ),
    # Sunday 2 November, 02:00 UTC: 22:00 on Saturday in New York; clocks go back there that
    # night, so 08:00 is 13:00 UTC. Madrid (03:00) waits until 08:00 CET.
    (
        "november",
        datetime(2025, 11, 2, 2, tzinfo=UTC),
        {
            "madrid@example.com": datetime(2025, 11, 2, 7, tzinfo=UTC),
            "york@example.com": datetime(2025, 11, 2, 13, tzinfo=UTC),
            "utc@example.com": datetime(2025, 11, 2, 8, tzinfo=UTC),
        },
    ),
]


def test_quiet_hours_in_each_contacts_time_zone_across_dst(
    settings: Any, smtp_sink: SmtpSink
) -> None:
    settings.GOTEO_FREQUENCY_CAP = ""
    settings.GOTEO_QUIET_HOURS = "21:00-08:00"
    quiet = parse_quiet_hours(settings.GOTEO_QUIET_HOURS)
    assert quiet is not None
    ids = add_contacts(*PEOPLE)
    clock = ManualClock(ROUNDS[0][1])
    worker = make_worker(smtp_sink, clock)
    try:
        for key, start, expected in ROUNDS:
            apply(key, [send("hello")], templates("hello"))
            clock.set(start)
            assert do_enroll(key, ids.values(), clock.now()).enrolled == len(PEOPLE)
            run_hourly(worker, clock, start + DAY)
            sent = {
                d.contact.email: d.sent_at
                for d in Delivery.objects.filter(campaign__key=key).select_related("contact")
            }
            assert sent == expected, key
    finally:
        close_worker(worker)
    for row in Delivery.objects.select_related("contact"):
        assert row.sent_at is not None
        tz = ZoneInfo(row.contact.timezone or "UTC")
        assert quiet.window.contains(row.sent_at, tz), row.contact.email  # never in quiet hours
    assert len(Inbox(smtp_sink).all()) == 3 * len(PEOPLE)


# 3. Transactional messages are never capped nor held by quiet hours ----------------------------


def test_transactional_messages_are_not_paced(
    settings: Any, smtp_sink: SmtpSink, clock: ManualClock
) -> None:
    settings.GOTEO_FREQUENCY_CAP = "2/7d"
    settings.GOTEO_QUIET_HOURS = "21:00-08:00"
    apply("drip", [send("m1"), wait("1d", "w1"), send("m2"), wait("1d", "w2"), send("m3")],
          templates("m1", "m2", "m3"))  # fmt: skip
    ids = add_contacts({"email": "ana@example.com", "first_name": "Ana"})
    ana = Contact.objects.get(id=ids["ana@example.com"])
    do_enroll("drip", ids.values(), clock.now())  # Wednesday 14:00 UTC
    worker = make_worker(smtp_sink, clock)
    inbox = Inbox(smtp_sink)
    try:
        run_hourly(worker, clock, T0 + 8 * HOUR)  # until 22:00: quiet
        confirmations = []
        for _ in range(3):  # late at night and past the cap: each goes at once
            delivery_id = do_queue_transactional(
                ana, "confirm", {"confirm_url": "http://x/c/1", "form_name": "News"}, clock.now()
            )
            confirmations.append(delivery_id)
            while worker.run_once():
                pass
        assert [str(m["subject"]) for m in inbox.new()] == ["m1 for Ana"] + [
            "Please confirm your subscription to News"
        ] * 3
        run_hourly(worker, clock, T0 + 3 * WEEK)
    finally:
        close_worker(worker)
    sent = dict(Delivery.objects.values_list("step_id", "sent_at"))
    assert sent["m1"] == T0
    # Confirmations do not use up the marketing slots: m2 goes a day later, as written.
    assert sent["m2"] == T0 + DAY
    assert sent["m3"] == T0 + WEEK  # the third marketing message waits for a free slot
    assert all(
        sent_at == T0 + 8 * HOUR
        for sent_at in Delivery.objects.filter(id__in=confirmations).values_list(
            "sent_at", flat=True
        )
    )


# 4. Two workers never both take a contact's last slot -----------------------------------------


@pytest.mark.postgres
def test_two_workers_racing_for_the_last_slot(settings: Any, clock: ManualClock) -> None:
    """Worker A sends the contact's high-priority message (slowly). Worker B, whose clock is a
    little behind, holds the low-priority one: the high one is not due yet on B's clock, so
    only the count of sent messages can stop B. B checks while A's message is on the wire and
    counts it: it is marked in flight, with the time A will record it as sent at."""
    assert on_postgres()
    settings.GOTEO_FREQUENCY_CAP = "1/7d"
    apply("low", [send("low")], templates("low"))
    apply("high", [send("high")], templates("high"), priority=9)
    ids = add_contacts({"email": "ana@example.com", "first_name": "Ana"})
    do_enroll("low", ids.values(), T0)
    do_enroll("high", ids.values(), T0 + 10 * timedelta(minutes=1))
    sink = SlowSink(delay=0.5).start()
    a_clock, b_clock = ManualClock(T0 + timedelta(minutes=10)), ManualClock(T0)
    a, b = make_worker(sink, a_clock), make_worker(sink, b_clock)
    try:
        assert write_pending_deliveries(T0) == 1  # low, due at T0
        assert write_pending_deliveries(a_clock.now()) == 1  # high, due at T0 + 10 min
        low = Delivery.objects.get(step_id="low")
        high = Delivery.objects.get(step_id="high")
        assert claim_deliveries(b.name, b_clock.now(), 10, 60) == [low.id]
        assert claim_deliveries(a.name, a_clock.now(), 10, 60) == [high.id]
        a_sending = threading.Event()
        spy_on_email(a, lambda message: a_sending.set())
        pacing = pacing_from_settings()
        results = {}

        def run(worker: Worker, ids: list[int], now: datetime) -> None:
            sender = SenderThread(send_facts, pacing)
            try:
                results[worker.name] = send_claimed(ids, worker.name, now, sender, worker.channels)
            finally:
                sender.stop()

        def run_in_thread(worker: Worker, ids: list[int], now: datetime) -> None:
            try:
                run(worker, ids, now)
            finally:
                connection.close()  # this thread's own connection

        thread_a = threading.Thread(target=run_in_thread, args=(a, [high.id], a_clock.now()))
        thread_a.start()
        assert a_sending.wait(10)
        run(b, [low.id], b_clock.now())  # B decides while A's message is on the wire
        thread_a.join(30)
    finally:
        a.channels.close()
        b.channels.close()
        sink.stop()
    assert (results[a.name].sent, results[b.name].postponed) == (1, 1)
    assert [rcpts for _, rcpts in sink.arrivals] == [["ana@example.com"]]
    low.refresh_from_db()
    assert low.status == DeliveryStatus.PENDING
    assert low.next_attempt_at == a_clock.now() + WEEK
    assert "frequency cap 1/1w reached" in low.last_error
