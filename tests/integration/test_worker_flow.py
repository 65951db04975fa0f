"""The worker end to end, in process: database, engine, templates and a real SMTP server.

Each test applies campaigns and creates contacts through the actions, runs the worker on a
manual clock against an SMTP server on loopback, and reads back both the outbox rows and the
messages the server received.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from tests.integration.flow_helpers import (
    T0,
    Inbox,
    add_contacts,
    apply,
    body_text,
    campaign_source,
    close_worker,
    deliveries_of,
    enrollment_of,
    make_worker,
    people,
    simple_template,
    spy_on_email,
    subjects_by_recipient,
    to_display_name,
    write_pending_deliveries,
)
from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_apply_campaign, do_set_campaign_status
from goteo.actions.contacts import do_set_status
from goteo.actions.enroll import EnrollReport, do_enroll
from goteo.actions.importing import do_import_csv
from goteo.actions.subscriptions import do_subscribe
from goteo.campaigns.models import Delivery, DeliveryStatus, Enrollment, EnrollmentStatus
from goteo.channels.base import OutgoingEmail
from goteo.channels.email.composer import message_id, sender_from_settings
from goteo.contacts.models import Contact, Subscription
from goteo.contacts.tokens import unsubscribe_token
from goteo.engine.clock import ManualClock
from goteo.worker.backoff import MAX_ATTEMPTS
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

ONE_SEND = [{"id": "hello", "send": "email", "template": "hello"}]
SEND_WAIT_SEND = [
    {"id": "first", "send": "email", "template": "first"},
    {"id": "pause", "wait": "1d"},
    {"id": "second", "send": "email", "template": "second"},
]
TWO_TEMPLATES = {
    "first": simple_template("First for {{ contact.first_name | default: 'friend' }}"),
    "second": simple_template("Second for {{ contact.first_name | default: 'friend' }}"),
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def worker(smtp_sink: SmtpSink, clock: ManualClock) -> Iterator[Worker]:
    w = make_worker(smtp_sink, clock)
    yield w
    close_worker(w)


@pytest.fixture
def inbox(smtp_sink: SmtpSink) -> Inbox:
    return Inbox(smtp_sink)


# 1. A multilingual three-step campaign with a send window ---------------------------------

WINDOWED = {
    "default_locale": "en",
    "window": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-18:00"},
}
WELCOME_HTML = (
    "<p>{{ greeting }} {{ contact.full_name | default: 'friend' }}</p>"
    '<p><a href="{{ unsubscribe_url }}">{{ leave }}</a></p>'
)


def _variant(subject: str, greeting: str, leave: str) -> dict[str, str]:
    body = WELCOME_HTML.replace("{{ greeting }}", greeting).replace("{{ leave }}", leave)
    return {"subject": subject, "html": body}


MULTILINGUAL = {
    "welcome": {
        "en": _variant("Welcome, {{ contact.first_name | default: 'friend' }}", "Hello", "Leave"),
        "es": _variant("Bienvenido, {{ contact.first_name | default: 'amigo' }}", "Hola", "Salir"),
        "fr": _variant("Bienvenue, {{ contact.first_name | default: 'ami' }}", "Bonjour", "Partir"),
    },
    "followup": {
        "en": {
            "subject": "Two days later, {{ contact.first_name | default: 'friend' }}",
            "html": "<p>Still there?</p>",
            "text": "Still there, {{ contact.first_name | default: 'friend' }}?\n",
        },
        "es": _variant(
            "Dos días después, {{ contact.first_name | default: 'friend' }}",
            "Hola de nuevo",
            "Salir",
        ),
        "fr": _variant(
            "Deux jours plus tard, {{ contact.first_name | default: 'friend' }}",
            "Re-bonjour",
            "Partir",
        ),
    },
}

# At T0 (Wednesday 14:00 UTC): who is inside the 09:00-18:00 weekday window, locally?
WORLD = [
    # email, first name, last name, locale, time zone
    ("ana@example.com", "Ana", "Smith", "en", "Europe/London"),  # 14:00: inside
    ("beto@example.com", "Beto", "Ruiz", "es-MX", "America/Mexico_City"),  # 08:00: opens 15:00Z
    ("chloe@example.com", "Chloé", "Martin", "fr", "Europe/Paris"),  # 15:00: inside
    ("dieter@example.com", "Dieter", "Kühn", "de", "Asia/Tokyo"),  # 23:00: opens Thu 00:00Z
    ("elena@example.com", "Elena", "Gómez", "es", "Europe/Madrid"),  # 15:00: inside
    ("nobody@example.com", "", "", "", ""),  # no locale, no zone: en, UTC (inside)
]


def test_multilingual_campaign_with_send_window(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    apply(
        "welcome-series",
        [
            {"id": "welcome", "send": "email", "template": "welcome"},
            {"id": "pause", "wait": "2d"},
            {"id": "followup", "send": "email", "template": "followup"},
        ],
        MULTILINGUAL,
        **WINDOWED,
    )
    ids = add_contacts(
        *(
            {"email": e, "first_name": f, "last_name": la, "locale": lo, "timezone": tz}
            for e, f, la, lo, tz in WORLD
        )
    )
    report = do_enroll("welcome-series", ids.values(), clock.now())
    assert report == EnrollReport(enrolled=len(WORLD))

    def run_at(when_offset: timedelta) -> dict[str, str]:
        clock.set(T0 + when_offset)
        worker.run_until_idle()
        return subjects_by_recipient(inbox.new())

    # T0: only the contacts whose local time is inside the window get the welcome.
    assert run_at(timedelta(0)) == {
        "ana@example.com": "Welcome, Ana",
        "chloe@example.com": "Bienvenue, Chloé",
        "elena@example.com": "Bienvenido, Elena",
        "nobody@example.com": "Welcome, friend",
    }
    assert enrollment_of("beto@example.com", "welcome-series").due_at == T0 + timedelta(hours=1)
    assert enrollment_of("dieter@example.com", "welcome-series").due_at == T0 + timedelta(hours=10)
    assert run_at(timedelta(minutes=59)) == {}
    # 09:00 in Mexico City: es-MX falls back to es.
    assert run_at(timedelta(hours=1)) == {"beto@example.com": "Bienvenido, Beto"}
    # 09:00 on Thursday in Tokyo: de falls back to the default, en.
    assert run_at(timedelta(hours=10)) == {"dieter@example.com": "Welcome, Dieter"}

    # Two days after each welcome, the follow-up.
    assert run_at(timedelta(days=2) - timedelta(seconds=1)) == {}
    assert run_at(timedelta(days=2)) == {
        "ana@example.com": "Two days later, Ana",
        "chloe@example.com": "Deux jours plus tard, Chloé",
        "elena@example.com": "Dos días después, Elena",
        "nobody@example.com": "Two days later, friend",
    }
    assert run_at(timedelta(days=2, hours=1)) == {"beto@example.com": "Dos días después, Beto"}
    # Dieter's two days end on Saturday 09:00 in Tokyo: the window waits for Monday 09:00.
    assert run_at(timedelta(days=2, hours=10)) == {}
    monday_tokyo = timedelta(days=4, hours=10)  # Monday 10 March 00:00 UTC
    assert enrollment_of("dieter@example.com", "welcome-series").due_at == T0 + monday_tokyo
    assert run_at(monday_tokyo - timedelta(seconds=1)) == {}
    assert run_at(monday_tokyo) == {"dieter@example.com": "Two days later, Dieter"}
    assert run_at(timedelta(days=30)) == {}

    # The outbox: every row sent, with what was sent recorded.
    sender = sender_from_settings()
    rows = {d.message_id: d for d in Delivery.objects.select_related("contact")}
    assert len(rows) == 2 * len(WORLD)
    messages = inbox.all()
    assert len(messages) == 2 * len(WORLD)
    assert len({m["message-id"] for m in messages}) == len(messages)
    pattern = re.compile(rf"<goteo\.(\d+)\.[0-9a-f]{{16}}@{re.escape(sender.domain)}>")
    for msg in messages:
        mid = str(msg["message-id"])
        match = pattern.fullmatch(mid)
        assert match, mid
        row = rows[mid]
        assert int(match.group(1)) == row.id
        assert mid == message_id(row.id, sender)
        assert row.status == DeliveryStatus.SENT
        assert row.subject == str(msg["subject"])
        assert row.to_address == row.contact.email == msg["to"].addresses[0].addr_spec
        assert row.sent_at is not None
        assert row.attempts == 1 and row.last_error == ""
        token = unsubscribe_token(row.contact.id)
        https, mailto = str(msg["list-unsubscribe"]).split(", ")
        assert https == f"<{settings.BASE_URL}/u/{token}>"
        assert mailto.startswith("<mailto:unsubscribe+")
        assert mailto.endswith("?subject=unsubscribe>")
        assert msg["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
        assert msg["x-goteo-campaign"] == "welcome-series"
        assert msg.get_content_type() == "multipart/alternative"
        plain, rich = msg.get_body(("plain",)), msg.get_body(("html",))
        assert plain is not None and rich is not None
        assert plain.get_content().strip() and "<p>" in rich.get_content()
        if row.template == "welcome":
            # The unsubscribe link is in both parts; the text part is derived from the HTML.
            assert f"/u/{token}" in plain.get_content()
            assert f"/u/{token}" in rich.get_content()
    by_contact = {(d.contact.email, d.template): d for d in rows.values()}
    assert by_contact["beto@example.com", "welcome"].locale == "es"
    assert by_contact["dieter@example.com", "welcome"].locale == "en"
    assert by_contact["chloe@example.com", "followup"].locale == "fr"
    assert by_contact["beto@example.com", "welcome"].sent_at == T0 + timedelta(hours=1)

    names = {m["to"].addresses[0].addr_spec: m["to"].addresses[0].display_name for m in messages}
    assert names["chloe@example.com"] == "Chloé Martin"
    assert names["nobody@example.com"] == ""
    ana_followup = next(
        m
        for m in messages
        if m["to"].addresses[0].addr_spec == "ana@example.com"
        and str(m["subject"]).startswith("Two")
    )
    plain_part = ana_followup.get_body(("plain",))
    assert plain_part is not None
    # The explicit text part, then the footer with the unsubscribe link it left out.
    assert body_text(plain_part).startswith("Still there, Ana?\n\n-- \n")
    elena = next(m for m in messages if str(m["subject"]) == "Bienvenido, Elena")
    elena_html = elena.get_body(("html",))
    assert elena_html is not None
    assert "Hola Elena Gómez" in html.unescape(elena_html.get_content())

    assert set(
        Enrollment.objects.filter(campaign__key="welcome-series").values_list("status", flat=True)
    ) == {EnrollmentStatus.COMPLETED}


# 2. Unsubscribed at the moment of sending ----------------------------------------------------


def test_unsubscribed_after_the_step_ran_is_suppressed(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    apply("drip", SEND_WAIT_SEND, TWO_TEMPLATES)
    ids = people("ana", "bob", "kim", "zed")
    do_set_status("zed@example.com", "unsubscribed")

    report = do_enroll("drip", ids.values(), clock.now())
    assert report == EnrollReport(enrolled=3, inactive=1)  # zed is never enrolled
    assert not Enrollment.objects.filter(contact__email="zed@example.com").exists()
    # Kim leaves before the first step runs: the journey ends, no delivery is even written.
    do_set_status("kim@example.com", "unsubscribed")

    # The step runs: both deliveries are written, pending, before anything is sent.
    assert write_pending_deliveries(clock.now()) == 2
    assert [d.status for d in deliveries_of("bob@example.com")] == [DeliveryStatus.PENDING]
    do_set_status("bob@example.com", "unsubscribed")

    totals = worker.run_until_idle()
    assert (totals.sent, totals.suppressed) == (1, 1)
    assert inbox.recipients() == ["ana@example.com"]
    (bob,) = deliveries_of("bob@example.com")
    assert bob.status == DeliveryStatus.SUPPRESSED
    # Unsubscribing put the address on the suppression list, which the gate reads first.
    assert bob.last_error == "address suppressed: unsubscribed"
    assert bob.sent_at is None and bob.message_id == ""

    # A day later Ana gets the second message; Bob's journey ends, nothing more is written.
    clock.advance(timedelta(days=1))
    worker.run_until_idle()
    assert inbox.recipients() == ["ana@example.com", "ana@example.com"]
    assert len(deliveries_of("bob@example.com")) == 1
    bob_journey = enrollment_of("bob@example.com", "drip")
    assert bob_journey.status == EnrollmentStatus.EXITED
    assert bob_journey.end_reason == "contact unsubscribed"
    assert enrollment_of("ana@example.com", "drip").status == EnrollmentStatus.COMPLETED
    assert not Delivery.objects.filter(contact__email="zed@example.com").exists()
    assert deliveries_of("kim@example.com") == []
    kim_journey = enrollment_of("kim@example.com", "drip")
    assert (kim_journey.status, kim_journey.end_reason) == (
        EnrollmentStatus.EXITED,
        "contact unsubscribed",
    )


@pytest.mark.parametrize("status", ["unsubscribed", "bounced"])
def test_status_change_during_a_claimed_batch_wins(
    worker: Worker, clock: ManualClock, inbox: Inbox, status: str
) -> None:
    """Two deliveries are claimed together; one contact leaves while the other's is sent."""
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    ids = people("ana", "bob")
    do_enroll("drip", ids.values(), clock.now())
    left: list[str] = []

    def leave_during_first_send(message: OutgoingEmail) -> None:
        if not spy.sent_to:
            (other,) = set(ids) - {message.to_addr}
            do_set_status(other, status)
            left.append(other)

    spy = spy_on_email(worker, leave_during_first_send)
    totals = worker.run_until_idle()

    (stayed,) = set(ids) - set(left)
    assert spy.sent_to == [stayed]
    assert inbox.recipients() == [stayed]
    assert (totals.sent, totals.suppressed) == (1, 1)
    (gone,) = deliveries_of(left[0])
    # The status change put the address on the suppression list, which the gate reads first.
    listed = {"unsubscribed": "unsubscribed", "bounced": "hard_bounce"}[status]
    assert (gone.status, gone.last_error) == (
        DeliveryStatus.SUPPRESSED,
        f"address suppressed: {listed}",
    )


# 3. SMTP temporary and permanent refusals -----------------------------------------------------


def test_smtp_4xx_is_retried_later_and_delivered_once(
    worker: Worker, clock: ManualClock, inbox: Inbox, smtp_sink: SmtpSink
) -> None:
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    ids = people("ana", "tom", "uma")
    smtp_sink.responses["tom@example.com"] = "451 4.3.0 try later"
    do_enroll("drip", ids.values(), clock.now())

    totals = worker.run_until_idle()
    assert (totals.sent, totals.retried, totals.failed) == (2, 1, 0)
    assert sorted(inbox.recipients()) == ["ana@example.com", "uma@example.com"]
    (tom,) = deliveries_of("tom@example.com")
    assert tom.status == DeliveryStatus.PENDING
    assert tom.attempts == 1
    assert "451" in tom.last_error and "try later" in tom.last_error
    assert tom.next_attempt_at > clock.now()
    assert tom.next_attempt_at <= clock.now() + timedelta(minutes=2)  # first backoff: ~1 min
    first_mid = tom.message_id

    # Not yet due: nothing happens, even with the server willing.
    del smtp_sink.responses["tom@example.com"]
    clock.set(tom.next_attempt_at - timedelta(seconds=1))
    assert worker.run_once() == 0

    clock.set(tom.next_attempt_at)
    worker.run_until_idle()
    clock.advance(timedelta(days=3))
    worker.run_until_idle()
    assert Counter(inbox.recipients()) == {
        "ana@example.com": 1,
        "tom@example.com": 1,
        "uma@example.com": 1,
    }
    tom.refresh_from_db()
    assert (tom.status, tom.attempts, tom.last_error) == (DeliveryStatus.SENT, 2, "")
    assert tom.message_id == first_mid  # a retry carries the same Message-ID
    (msg,) = [m for m in inbox.all() if m["to"].addresses[0].addr_spec == "tom@example.com"]
    assert msg["message-id"] == first_mid


def test_smtp_5xx_fails_at_once_and_is_never_retried(
    worker: Worker, clock: ManualClock, inbox: Inbox, smtp_sink: SmtpSink
) -> None:
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    ids = people("ana", "nora")
    smtp_sink.responses["nora@example.com"] = "550 5.1.1 no such user"
    do_enroll("drip", ids.values(), clock.now())

    totals = worker.run_until_idle()
    assert (totals.sent, totals.retried, totals.failed) == (1, 0, 1)
    (nora,) = deliveries_of("nora@example.com")
    assert nora.status == DeliveryStatus.FAILED
    assert nora.attempts == 1
    assert "550" in nora.last_error and "no such user" in nora.last_error

    del smtp_sink.responses["nora@example.com"]  # the server would accept now: still no retry
    for _ in range(3):
        clock.advance(timedelta(days=2))
        worker.run_until_idle()
    nora.refresh_from_db()
    assert (nora.status, nora.attempts) == (DeliveryStatus.FAILED, 1)
    assert inbox.recipients() == ["ana@example.com"]


def test_temporary_failures_back_off_and_give_up_after_ten_attempts(
    worker: Worker, clock: ManualClock, inbox: Inbox, smtp_sink: SmtpSink
) -> None:
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    ids = people("tom")
    smtp_sink.responses["tom@example.com"] = "452 4.2.2 mailbox full"
    do_enroll("drip", ids.values(), clock.now())

    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        worker.run_until_idle()
        (tom,) = deliveries_of("tom@example.com")
        assert tom.attempts == attempt
        if attempt == MAX_ATTEMPTS:
            break
        assert tom.status == DeliveryStatus.PENDING
        delays.append(tom.next_attempt_at - clock.now())
        clock.set(tom.next_attempt_at)
    assert tom.status == DeliveryStatus.FAILED
    assert tom.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert "452" in tom.last_error
    # 1 min, 2, 4 … doubling (±10% jitter), capped at 6 hours.
    for n, delay in enumerate(delays):
        nominal = min(timedelta(minutes=2**n), timedelta(hours=6))
        assert nominal * 0.9 <= delay <= nominal * 1.1, (n, delay)
    clock.advance(timedelta(days=7))
    worker.run_until_idle()
    assert inbox.recipients() == []
    assert deliveries_of("tom@example.com")[0].attempts == MAX_ATTEMPTS


# 4. The SMTP server is down -------------------------------------------------------------------


def test_server_down_keeps_everything_pending_until_it_returns(
    worker: Worker, clock: ManualClock, inbox: Inbox, smtp_sink: SmtpSink
) -> None:
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    names = ["ana", "bob", "cid", "dan", "eve"]
    ids = people(*names)
    do_enroll("drip", ids.values(), clock.now())
    smtp_sink.stop()

    totals = worker.run_until_idle()
    assert (totals.sent, totals.retried, totals.failed) == (0, 5, 0)
    pending = list(Delivery.objects.order_by("id"))
    assert len(pending) == 5
    for row in pending:
        assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
        assert "cannot connect" in row.last_error
        assert row.next_attempt_at > clock.now()
    assert worker.run_once() == 0  # nothing is due until the backoff ends

    clock.advance(timedelta(minutes=30))
    worker.run_until_idle()  # still down: a second attempt, still pending
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 2)}

    smtp_sink.start()
    clock.advance(timedelta(hours=1))
    worker.run_until_idle()
    assert Counter(inbox.recipients()) == {f"{n}@example.com": 1 for n in names}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len({m["message-id"] for m in inbox.all()}) == 5

    # The server restarts while the worker's connection is idle: the next message finds the
    # connection dead before sending anything, and goes out at once on a new one.
    smtp_sink.stop()
    smtp_sink.start()
    late = people("fay")
    do_enroll("drip", late.values(), clock.now())
    before = (worker.totals.sent, worker.totals.retried)
    totals = worker.run_until_idle()
    assert (totals.sent, totals.retried) == (before[0] + 1, before[1])  # sent, not retried
    assert inbox.recipients()[-1] == "fay@example.com"


def test_server_dying_in_the_middle_of_a_batch_loses_nothing(
    worker: Worker, clock: ManualClock, inbox: Inbox, smtp_sink: SmtpSink
) -> None:
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    names = ["ana", "bob", "cid", "dan", "eve"]
    ids = people(*names)
    do_enroll("drip", ids.values(), clock.now())

    def stop_after_two(message: OutgoingEmail) -> None:
        if len(spy.sent_to) == 2:
            smtp_sink.stop()

    spy = spy_on_email(worker, stop_after_two)
    totals = worker.run_until_idle()
    assert (totals.sent, totals.retried, totals.failed) == (2, 3, 0)
    assert inbox.recipients() == spy.sent_to[:2]

    smtp_sink.start()
    clock.advance(timedelta(minutes=5))
    worker.run_until_idle()
    assert Counter(inbox.recipients()) == {f"{n}@example.com": 1 for n in names}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


# 5. Pause and resume --------------------------------------------------------------------------


def test_paused_campaign_advances_and_sends_nothing_until_resumed(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    apply("drip", SEND_WAIT_SEND, TWO_TEMPLATES)
    ids = people("ana", "bob", "cid", "dan", "eve")
    do_enroll("drip", [ids["ana@example.com"], ids["bob@example.com"]], clock.now())
    worker.run_until_idle()
    assert len(inbox.new()) == 2

    # Cid's first step has run (a pending delivery exists); Dan is enrolled but not started.
    do_enroll("drip", [ids["cid@example.com"]], clock.now())
    assert write_pending_deliveries(clock.now()) == 1
    do_enroll("drip", [ids["dan@example.com"]], clock.now())
    do_set_campaign_status("drip", "paused", reason="checking the copy")
    states = dict(Enrollment.objects.values_list("id", "state"))

    claimed_before = worker.totals.steps_claimed
    clock.advance(timedelta(days=3))
    assert worker.run_once() == 0
    worker.run_until_idle()
    assert worker.totals.steps_claimed == claimed_before
    assert inbox.new() == []
    assert dict(Enrollment.objects.values_list("id", "state")) == states
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 1
    # Enrolling into a paused campaign is allowed; it waits too.
    assert do_enroll("drip", [ids["eve@example.com"]], clock.now()).enrolled == 1
    worker.run_until_idle()
    assert inbox.new() == []

    do_set_campaign_status("drip", "active")
    worker.run_until_idle()
    got = Counter((m["to"].addresses[0].addr_spec, str(m["subject"])) for m in inbox.new())
    assert got == {
        ("ana@example.com", "Second for Ana"): 1,
        ("bob@example.com", "Second for Bob"): 1,
        ("cid@example.com", "First for Cid"): 1,
        ("cid@example.com", "Second for Cid"): 1,  # enrolled three days ago: both are due
        ("dan@example.com", "First for Dan"): 1,  # its first step runs now; then it waits
        ("eve@example.com", "First for Eve"): 1,
    }
    worker.run_until_idle()
    assert inbox.new() == []
    clock.advance(timedelta(days=1))
    worker.run_until_idle()
    assert subjects_by_recipient(inbox.new()) == {
        "dan@example.com": "Second for Dan",
        "eve@example.com": "Second for Eve",
    }
    assert Delivery.objects.exclude(status=DeliveryStatus.SENT).count() == 0


def test_pause_during_a_claimed_batch_stops_the_rest_of_it(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    apply(
        "drip",
        ONE_SEND,
        {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")},
    )
    ids = people("ana", "bob", "cid")
    do_enroll("drip", ids.values(), clock.now())

    def pause_during_first_send(message: OutgoingEmail) -> None:
        if not spy.sent_to:
            do_set_campaign_status("drip", "paused", reason="wrong copy")

    spy = spy_on_email(worker, pause_during_first_send)
    worker.run_until_idle()
    assert len(inbox.recipients()) == 1  # nothing after the pause
    held = Delivery.objects.exclude(status=DeliveryStatus.SENT)
    # The rest of the batch is given back unsent; a claim that sent nothing is no attempt.
    assert sorted(held.values_list("status", "attempts")) == [(DeliveryStatus.PENDING, 0)] * 2

    do_set_campaign_status("drip", "active")
    clock.advance(timedelta(minutes=10))
    worker.run_until_idle()
    assert Counter(inbox.recipients()) == {f"{n}@example.com": 1 for n in ("ana", "bob", "cid")}


# 6. A new version while enrollments are in flight ---------------------------------------------


def test_new_version_applies_to_new_enrollments_only(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    v1 = {"first": simple_template("Hello v1"), "second": simple_template("old")}
    v2 = {"first": simple_template("Hello v2"), "second": simple_template("new")}
    assert apply("versions", SEND_WAIT_SEND, v1) == 1
    ids = people("ana", "bob", "cid")
    do_enroll("versions", [ids["ana@example.com"], ids["bob@example.com"]], clock.now())
    worker.run_until_idle()
    assert subjects_by_recipient(inbox.new()) == {
        "ana@example.com": "Hello v1",
        "bob@example.com": "Hello v1",
    }

    clock.advance(timedelta(hours=1))
    assert apply("versions", SEND_WAIT_SEND, v2) == 2
    assert apply("versions", SEND_WAIT_SEND, v2) == 2  # the same document again: unchanged
    do_enroll("versions", [ids["cid@example.com"]], clock.now())
    worker.run_until_idle()
    assert subjects_by_recipient(inbox.new()) == {"cid@example.com": "Hello v2"}

    clock.advance(timedelta(days=1))
    worker.run_until_idle()
    assert subjects_by_recipient(inbox.new()) == {
        "ana@example.com": "old",
        "bob@example.com": "old",
        "cid@example.com": "new",
    }
    numbers = {
        email: enrollment_of(email, "versions").version.number
        for email in ("ana@example.com", "bob@example.com", "cid@example.com")
    }
    assert numbers == {"ana@example.com": 1, "bob@example.com": 1, "cid@example.com": 2}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


# 7. Re-entry rules ----------------------------------------------------------------------------


def test_reentry_rules(worker: Worker, clock: ManualClock, inbox: Inbox) -> None:
    hello = {"hello": simple_template("Hello {{ contact.first_name | default: 'friend' }}")}
    apply("once", ONE_SEND, hello, reentry="never")
    apply("again", ONE_SEND, hello, reentry="always")
    apply("monthly", ONE_SEND, hello, reentry={"after": "30d"})
    ana = list(people("ana").values())

    def enroll(key: str, at: timedelta) -> EnrollReport:
        return do_enroll(key, ana, T0 + at)

    for key in ("once", "again", "monthly"):
        assert enroll(key, timedelta(0)) == EnrollReport(enrolled=1)
        # While the first journey is active, no rule lets a second one start.
        assert enroll(key, timedelta(0)) == EnrollReport(already_enrolled=1)
    worker.run_until_idle()  # the single step runs: every journey completes
    assert set(Enrollment.objects.values_list("status", flat=True)) == {EnrollmentStatus.COMPLETED}
    assert len(inbox.new()) == 3

    assert enroll("once", timedelta(days=400)) == EnrollReport(already_enrolled=1)
    assert enroll("again", timedelta(0)) == EnrollReport(enrolled=1)
    assert enroll("monthly", timedelta(days=10)) == EnrollReport(already_enrolled=1)
    assert enroll("monthly", timedelta(days=31)) == EnrollReport(enrolled=1)
    assert enroll("monthly", timedelta(days=32)) == EnrollReport(already_enrolled=1)

    clock.set(T0 + timedelta(days=31))
    worker.run_until_idle()
    second = inbox.new()
    assert len(second) == 2  # "again" and "monthly" each send once more
    assert Enrollment.objects.filter(campaign__key="again").count() == 2
    assert Enrollment.objects.filter(campaign__key="monthly").count() == 2
    assert Enrollment.objects.filter(campaign__key="once").count() == 1
    assert len({m["message-id"] for m in inbox.all()}) == 5


# 8. A template that cannot be rendered for one contact ----------------------------------------


def test_a_missing_value_prints_as_nothing(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    template = simple_template(
        "Hi {{ contact.first_name }}",
        "<p>Hi {{ contact.first_name }}, plan {{ contact.attributes.plan }}.</p>",
    )
    applied = do_apply_campaign(campaign_source("plans", ONE_SEND, {"hello": template}))
    assert [w.path for w in applied.warnings] == ["templates.hello.en.subject"] + [
        "templates.hello.en.html"
    ] * 2
    ids = add_contacts(
        {"email": "ana@example.com", "first_name": "Ana", "attributes": {"plan": "pro"}},
        {"email": "bob@example.com"},
    )
    do_enroll("plans", ids.values(), clock.now())

    totals = worker.run_until_idle()
    assert (totals.sent, totals.failed) == (2, 0)
    bodies = {}
    for msg in inbox.all():
        part = msg.get_body(("html",))
        assert part is not None
        bodies[msg["to"].addresses[0].addr_spec] = (msg["subject"], part.get_content())
    assert bodies["ana@example.com"][0] == "Hi Ana"
    assert "Hi Ana, plan pro." in bodies["ana@example.com"][1]
    assert bodies["bob@example.com"][0] == "Hi"
    assert "Hi , plan ." in bodies["bob@example.com"][1]


def test_render_failure_in_a_strict_campaign_fails_that_delivery_only(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    # Validation cannot see through assign, so the missing value is found at send time.
    template = simple_template(
        "Your plan",
        "{% assign plan = contact.attributes.plan %}"
        "<p>Hi {{ contact.first_name | default: 'x' }}, plan {{ plan }}.</p>",
    )
    apply("plans", ONE_SEND, {"hello": template}, strict=True)
    ids = add_contacts(
        {"email": "ana@example.com", "first_name": "Ana", "attributes": {"plan": "pro"}},
        {"email": "bob@example.com", "first_name": "Bob"},
        {"email": "cid@example.com", "first_name": "Cid", "plan": "free"},
    )
    do_enroll("plans", ids.values(), clock.now())

    totals = worker.run_until_idle()
    assert (totals.sent, totals.failed) == (2, 1)
    (bob,) = deliveries_of("bob@example.com")
    assert bob.status == DeliveryStatus.FAILED
    assert "contact.attributes.plan" in bob.last_error
    assert "undefined" in bob.last_error
    assert "hello" in bob.last_error  # the template is named
    assert bob.attempts == 1
    assert sorted(inbox.recipients()) == ["ana@example.com", "cid@example.com"]
    bodies = {}
    for msg in inbox.all():
        part = msg.get_body(("html",))
        assert part is not None
        bodies[msg["to"].addresses[0].addr_spec] = part.get_content()
    assert "plan pro." in bodies["ana@example.com"]
    assert "plan free." in bodies["cid@example.com"]

    clock.advance(timedelta(days=2))  # a failed render is not retried
    worker.run_until_idle()
    bob.refresh_from_db()
    assert (bob.status, bob.attempts) == (DeliveryStatus.FAILED, 1)
    assert "bob@example.com" not in inbox.recipients()


# 9. Subscribing fires the campaign ------------------------------------------------------------


def test_subscribe_enrolls_at_once_and_next_pass_sends(
    worker: Worker, clock: ManualClock, inbox: Inbox
) -> None:
    hello = {"hello": simple_template("News for {{ contact.first_name | default: 'friend' }}")}
    apply("newsletter", ONE_SEND, hello, trigger={"subscribed": "news"})
    apply("other-list", ONE_SEND, hello, trigger={"subscribed": "offers"})
    apply("by-hand", ONE_SEND, hello)
    ids = people("ana", "bob")

    reports = do_subscribe(list(ids.values()), "news", clock.now())
    assert reports == {"newsletter": EnrollReport(enrolled=2)}
    assert Subscription.objects.filter(topic="news").count() == 2
    enrollments = list(Enrollment.objects.all())
    assert len(enrollments) == 2
    assert {e.campaign.key for e in enrollments} == {"newsletter"}
    assert all(e.due_at == clock.now() and e.enrolled_at == clock.now() for e in enrollments)

    assert worker.run_once() > 0  # one pass: the step runs and the messages go out
    assert subjects_by_recipient(inbox.new()) == {
        "ana@example.com": "News for Ana",
        "bob@example.com": "News for Bob",
    }
    # Subscribing again does not enrol twice (reentry: never).
    assert do_subscribe(list(ids.values()), "news", clock.now()) == {
        "newsletter": EnrollReport(already_enrolled=2)
    }
    assert Subscription.objects.filter(topic="news").count() == 2


# 10. Many contacts with names from everywhere -------------------------------------------------

FIRST_NAMES = [
    "Zoë",
    "Łukasz",
    "Ольга",
    "李雷",
    "Ana 🎉",
    'José "Pepe"',
    "Nguyễn Thị",
    "Søren",
    "Αλέξανδρος",
    "محمد",
    "O'Brien",
    "Françoise-Hélène",
    "Smith, Jr.",
    "=?utf-8?q?not-a-word?=",
    "Eve <eve@evil.example>",
]
LAST_NAMES = [
    "Ångström",
    "Żółkiewski",
    "Иванова-Петрова Александровна Константинопольская",
    "",
    "García 🚀",
    "Müller",
    "de la Cruz y Ñúñez Valderrama Montenegro Hernández Villalobos Santisteban",
    "Wolfeschlegelsteinhausenbergerdorff Featherstonehaugh-Cholmondeley of Tyne",
]


def test_many_contacts_with_unicode_names(
    smtp_sink: SmtpSink, clock: ManualClock, inbox: Inbox
) -> None:
    total = 300
    apply(
        "hola",
        ONE_SEND,
        {
            "hello": simple_template(
                "{{ contact.first_name | default: 'friend' }}, ¡tu regalo 🎁 está listo!"
            )
        },
    )
    expected: dict[str, tuple[str, str]] = {}
    stream = io.StringIO()
    out = csv.writer(stream)
    out.writerow(["email", "first_name", "last_name", "locale"])
    for i in range(total):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[i % len(LAST_NAMES)]
        domain = "bücher.example" if i % 25 == 0 else "example.com"
        out.writerow([f"user{i}@{domain}", first, last, "es"])
        address = f"user{i}@{'xn--bcher-kva.example' if i % 25 == 0 else domain}"
        expected[address] = (f"{first} {last}".strip(), f"{first}, ¡tu regalo 🎁 está listo!")
    stream.seek(0)
    imported = do_import_csv(stream)
    assert (imported.created, imported.errors) == (total, [])
    assert do_enroll(
        "hola", Contact.objects.values_list("id", flat=True), clock.now()
    ).enrolled == (total)

    worker = make_worker(smtp_sink, clock, send_batch=100)
    try:
        totals = worker.run_until_idle()
    finally:
        close_worker(worker)
    assert (totals.sent, totals.failed, totals.retried) == (total, 0, 0)

    messages = inbox.all()
    assert len(messages) == total
    assert len({m["message-id"] for m in messages}) == total
    for msg, (_, rcpts, _) in zip(messages, smtp_sink.messages, strict=True):
        (to,) = msg["to"].addresses
        assert rcpts == [to.addr_spec]
        name, subject = expected.pop(to.addr_spec)
        assert to_display_name(msg) == name, to.addr_spec
        # Python's own address parser agrees, give or take the spaces it keeps between
        # encoded-words (see to_display_name).
        assert to.display_name.replace(" ", "") == name.replace(" ", ""), to.addr_spec
        assert str(msg["subject"]) == subject, to.addr_spec
        first = subject.removesuffix(", ¡tu regalo 🎁 está listo!")
        plain = msg.get_body(("plain",))
        assert plain is not None
        assert body_text(plain).startswith(f"Hello {first}\n"), to.addr_spec
        rich = msg.get_body(("html",))
        assert rich is not None
        assert f"Hello {first}</p>" in html.unescape(rich.get_content()), to.addr_spec
    assert expected == {}
    stored = dict(Delivery.objects.values_list("to_address", "subject"))
    assert len(stored) == total
    assert all(s.endswith("¡tu regalo 🎁 está listo!") for s in stored.values())
