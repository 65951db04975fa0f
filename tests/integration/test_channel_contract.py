"""One contract, every channel: each row is routed on its channel and passes the same gate,
retry and recording path, against a real provider on loopback.

A channel joins this suite by adding a ``Rig``: how a campaign reaches it, a provider answering
"accepted", "try later", "too fast" (where its answers tell throttling apart) or "refused", and
what the provider received. The cases: delivered; retryable then delivered; throttled then
delivered (no attempt used, the provider's wait honoured); permanent; a crash between deliver
and record (one duplicate at most, carrying the same identity, which is the idempotency key
where the channel takes one); and the gate's refusals.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from django.conf import settings
from django.test import override_settings
from tests.integration.flow_helpers import (
    T0,
    add_contacts,
    apply,
    parse,
    simple_template,
    write_pending_deliveries,
)
from tests.integration.print_api_server import KEY, PrintApi
from tests.integration.social_servers import MASTODON_ACCOUNT, FakeMastodon
from tests.integration.twilio_server import TwilioServer
from tests.integration.webhook_receiver import WebhookReceiver
from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.contacts import do_set_status
from goteo.actions.enroll import do_enroll
from goteo.actions.sms_consent import grant_sms_consent
from goteo.actions.social_calendars import do_apply_calendar
from goteo.campaigns.models import Delivery, DeliveryStatus
from goteo.channels.base import Channel, Draft, Prepared, Result
from goteo.channels.configured import build_channels
from goteo.channels.direct_mail.lob import idempotency_key
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.factory import email_channel
from goteo.channels.registry import Channels
from goteo.config import email_settings
from goteo.contacts.models import Contact
from goteo.engine.channel_needs import DELIVERY_RECEIPTS, IDEMPOTENCY_KEY
from goteo.engine.clock import ManualClock
from goteo.worker.claims import claim_deliveries, send_facts
from goteo.worker.delivering import send_claimed
from goteo.worker.loop import Worker
from goteo.worker.sender_thread import SenderThread

pytestmark = pytest.mark.django_db(transaction=True)

ANA = "ana@example.com"
WAIT = 30  # seconds: the wait a throttling provider asks for


class Rig(Protocol):
    """A channel under contract, with its real provider on loopback."""

    channel: str
    personal: bool  # it reaches the contact (consent and suppression apply)
    url: str  # GOTEO_EMAIL_URL for the worker
    unsubscribed: str  # why the gate stops a message to a contact who unsubscribed
    throttling: bool  # its provider can answer "too fast, wait WAIT seconds" (``throttle``)

    def steps(self) -> list[dict[str, Any]]: ...
    def template(self) -> dict[str, Any]: ...
    def person(self, email: str, n: int, **fields: str) -> dict[str, Any]: ...
    def admit(self, contact_ids: list[int]) -> None: ...  # what the channel needs of them

    def declare(self) -> None:
        """Whatever the channel needs stored before a campaign can use it."""
        return None

    def key(self, delivery_id: int) -> str:
        """The idempotency key a channel that takes one sends with the message."""
        return f"goteo-delivery-{delivery_id}"

    def answer(self, mode: str) -> None: ...  # "ok", "later", "throttle" or "refuse"
    def accepted(self) -> list[str]: ...  # the identity of each message the provider accepted
    def stop(self) -> None: ...


class ByEmail:
    """A rig whose messages need nothing of the contact but what email needs."""

    unsubscribed = "address suppressed: unsubscribed"

    def template(self) -> dict[str, Any]:
        return simple_template("Hello {{ contact.first_name | default: 'you' }}")

    def person(self, email: str, n: int, **fields: str) -> dict[str, Any]:
        return {"email": email, "locale": "en", **fields}

    def admit(self, contact_ids: list[int]) -> None:
        pass


class EmailRig(ByEmail, Rig):
    channel, personal, throttling = "email", True, True

    def __init__(self) -> None:
        self.sink = SmtpSink().start()
        self.url = f"{self.sink.url}?timeout=5"

    def steps(self) -> list[dict[str, Any]]:
        return [{"id": "hello", "send": "email", "template": "hello"}]

    def answer(self, mode: str) -> None:
        self.sink.data_reply = {
            "ok": None,
            "later": "451 4.3.0 later",
            "throttle": f"451 4.7.28 rate limited, try again in {WAIT} seconds",
            "refuse": "554 5.7.1 no",
        }[mode]

    def accepted(self) -> list[str]:
        return [str(parse(raw)["Message-ID"]) for _, _, raw in self.sink.messages]

    def stop(self) -> None:
        self.sink.stop()


class WebhookRig(ByEmail, Rig):
    channel, personal, throttling = "webhook", False, True

    def __init__(self) -> None:
        self.receiver = WebhookReceiver()
        self.url = "smtp://127.0.0.1:9?timeout=1"  # email is not used by this campaign

    def steps(self) -> list[dict[str, Any]]:
        return [{"id": "hello", "webhook": {"url": self.receiver.url}}]

    def answer(self, mode: str) -> None:
        self.receiver.status = {"ok": 200, "later": 503, "throttle": 429, "refuse": 400}[mode]
        self.receiver.headers = {"Retry-After": str(WAIT)} if mode == "throttle" else {}

    def accepted(self) -> list[str]:
        return [c.headers["Idempotency-Key"] for c in self.receiver.calls if c.answered == 200]

    def stop(self) -> None:
        self.receiver.stop()


class SmsRig(Rig):
    """Twilio's Messages API on loopback, through the twilio library (GOTEO_SMS_URL)."""

    channel, personal, throttling = "sms", True, True
    unsubscribed = "contact unsubscribed"

    def __init__(self) -> None:
        self.twilio = TwilioServer()
        self.url = "smtp://127.0.0.1:9?timeout=1"  # email is not used by this campaign
        self.configured = override_settings(GOTEO_SMS_URL=self.twilio.sms_url())
        self.configured.enable()
        self.phones: list[str] = []

    def steps(self) -> list[dict[str, Any]]:
        return [{"id": "hello", "send": "sms", "template": "hello"}]

    def template(self) -> dict[str, Any]:
        return {"en": {"text": "Hello {{ contact.first_name | default: 'you' }}"}}

    def person(self, email: str, n: int, **fields: str) -> dict[str, Any]:
        self.phones.append(f"+3461234560{n}")
        return {"email": email, "locale": "en", "phone": self.phones[-1], **fields}

    def admit(self, contact_ids: list[int]) -> None:
        for contact in Contact.objects.filter(id__in=contact_ids):
            grant_sms_consent(contact, "api", "Texts about our offers", T0)

    def answer(self, mode: str) -> None:
        answer = {
            "ok": None,
            "later": (503, None),
            "throttle": (429, 20429),
            "refuse": (400, 21211),
        }
        for phone in self.phones:
            self.twilio.answers[phone] = answer[mode]
        self.twilio.headers = {"Retry-After": str(WAIT)} if mode == "throttle" else {}

    def accepted(self) -> list[str]:
        # Twilio takes no idempotency key: a message is known by its status callback's row.
        return [form["StatusCallback"] for form in self.twilio.accepted]

    def stop(self) -> None:
        self.configured.disable()
        self.twilio.stop()


TOKEN_ENV = "GOTEO_CONTRACT_MASTODON_TOKEN"


class SocialRig(Rig):
    """A campaign step's post, to a Mastodon server on loopback (which honours
    ``Idempotency-Key`` as Mastodon does)."""

    channel, personal = "social", False
    throttling = False  # its answers are not told apart: a 429 is retried like a 503

    def __init__(self) -> None:
        self.server = FakeMastodon()
        self.url = "smtp://127.0.0.1:9?timeout=1"  # email is not used by this campaign
        os.environ[TOKEN_ENV] = self.server.token

    def declare(self) -> None:
        calendar = MASTODON_ACCOUNT.format(server=self.server.url, token_env=TOKEN_ENV)
        do_apply_calendar(calendar, Path("."), T0)

    def steps(self) -> list[dict[str, Any]]:
        return [{"id": "hello", "send": "social", "account": "mastodon-en", "template": "hello"}]

    def template(self) -> dict[str, Any]:
        return {"en": {"text": "One more team reached {{ campaign.key }}!"}}

    def person(self, email: str, n: int, **fields: str) -> dict[str, Any]:
        return {"email": email, "locale": "en", **fields}

    def admit(self, contact_ids: list[int]) -> None:
        return None  # a post reaches the audience, not the contact: nothing to grant

    def answer(self, mode: str) -> None:
        self.server.refuse_statuses = {"ok": 0, "later": 503, "refuse": 422}[mode]

    def accepted(self) -> list[str]:
        return list(self.server.accepted)

    def stop(self) -> None:
        self.server.stop()
        os.environ.pop(TOKEN_ENV, None)


class MailRig(ByEmail, Rig):
    """Letters through the print-and-mail API (Lob's shape) on loopback."""

    channel, personal, throttling = "mail", True, True

    def __init__(self) -> None:
        self.api = PrintApi()
        self.url = "smtp://127.0.0.1:9?timeout=1"  # email is not used by this campaign
        port = self.api.loopback.server.server_address[1]
        sender = {
            "name": "Goteo", "lines": ["Calle Mayor 1"], "city": "Madrid",
            "postal_code": "28013", "region": "Madrid", "country": "ES",
        }  # fmt: skip
        self.settings = override_settings(
            GOTEO_MAIL_URL=f"lob+http://{KEY}@127.0.0.1:{port}",
            GOTEO_MAIL_SENDER=json.dumps(sender),
        )
        self.settings.enable()

    def person(self, email: str, n: int, **fields: str) -> dict[str, Any]:
        address = {
            "name": "Ana Nowak", "lines": [f"ul. Długa {n + 5}"], "city": "Kraków",
            "postal_code": "31-147", "country": "PL",
        }  # fmt: skip
        return {"email": email, "locale": "en", "postal_address": address, **fields}

    def steps(self) -> list[dict[str, Any]]:
        return [{"id": "hello", "send": "mail", "template": "hello"}]

    def answer(self, mode: str) -> None:
        self.api.status = {"ok": 0, "later": 503, "throttle": 429, "refuse": 400}[mode]
        self.api.retry_after = str(WAIT) if mode == "throttle" else None

    def accepted(self) -> list[str]:
        return list(self.api.accepted())

    def key(self, delivery_id: int) -> str:
        return idempotency_key(settings.SECRET_KEY, delivery_id)

    def stop(self) -> None:
        self.settings.disable()
        self.api.close()


RIGS: dict[str, Callable[[], Rig]] = {
    "email": EmailRig,
    "webhook": WebhookRig,
    "sms": SmsRig,
    "social": SocialRig,
    "mail": MailRig,
}


@pytest.fixture(params=sorted(RIGS))
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    made = RIGS[request.param]()
    yield made
    made.stop()


def channels_for(rig: Rig) -> Channels:
    transport = email_channel(email_settings(rig.url))
    return build_channels(transport, Composer(sender_from_settings()))


def worker_for(rig: Rig, clock: ManualClock, channels: Channels | None = None, **kw: Any) -> Worker:
    return Worker(clock=clock, channels=channels or channels_for(rig), **kw)


def journey(rig: Rig) -> None:
    """Ana enrolled in a one-step campaign on the rig's channel."""
    rig.declare()
    apply("contract", rig.steps(), {"hello": rig.template()})
    ids = add_contacts(rig.person(ANA, 0, first_name="Ana"))
    rig.admit(list(ids.values()))
    do_enroll("contract", ids.values(), T0)


def the_delivery() -> Delivery:
    return Delivery.objects.get(step_id="hello")


def run(worker: Worker) -> None:
    try:
        while worker.run_once():
            pass
    finally:
        worker.close()


def test_every_configured_channel_is_under_contract() -> None:
    sms, mail = SmsRig(), MailRig()  # the channels not configured by default
    try:
        assert {c.name for c in channels_for(sms)} == set(RIGS)
    finally:
        sms.stop()
        mail.stop()


def test_delivered(rig: Rig) -> None:
    journey(rig)
    run(worker_for(rig, ManualClock(T0)))
    row = the_delivery()
    assert (row.channel, row.status, row.attempts, row.sent_at) == (
        rig.channel,
        DeliveryStatus.SENT,
        1,
        T0,
    )
    assert len(rig.accepted()) == 1
    # Where the provider reports delivery later, its id for the message is kept to match it.
    receipts = DELIVERY_RECEIPTS in channels_for(rig)[rig.channel].capabilities
    assert bool(row.provider_message_id) == receipts, row.provider_message_id


def test_rate_limit(rig: Rig) -> None:
    journey(rig)
    ids = add_contacts(*(rig.person(f"p{i}@example.com", i + 1) for i in range(2)))
    rig.admit(list(ids.values()))
    do_enroll("contract", ids.values(), T0)
    started = time.monotonic()
    run(worker_for(rig, ManualClock(T0), rate_limits={rig.channel: 10.0}))
    assert time.monotonic() - started >= 0.2  # three messages, a tenth of a second apart
    assert len(rig.accepted()) == 3


def test_retryable_then_delivered(rig: Rig) -> None:
    journey(rig)
    rig.answer("later")
    clock = ManualClock(T0)
    run(worker_for(rig, clock))
    row = the_delivery()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert T0 + timedelta(seconds=50) <= row.next_attempt_at <= T0 + timedelta(seconds=70)
    assert row.last_error and rig.accepted() == []
    rig.answer("ok")
    clock.advance(timedelta(minutes=2))
    run(worker_for(rig, clock))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(rig.accepted()) == 1


def test_throttled_then_delivered(rig: Rig) -> None:
    if not rig.throttling:
        pytest.skip(f"the {rig.channel} provider's answers tell no throttling apart")
    journey(rig)
    rig.answer("throttle")
    clock = ManualClock(T0)
    run(worker_for(rig, clock))
    row = the_delivery()
    # Tried again after the provider's wait, and the attempt does not count.
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 0)
    assert row.next_attempt_at == T0 + timedelta(seconds=WAIT)
    assert row.last_error.startswith("postponed: throttled by the provider: ")
    assert rig.accepted() == []
    rig.answer("ok")
    clock.advance(timedelta(seconds=WAIT))
    run(worker_for(rig, clock))
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")
    assert len(rig.accepted()) == 1


def test_permanent(rig: Rig) -> None:
    journey(rig)
    rig.answer("refuse")
    clock = ManualClock(T0)
    run(worker_for(rig, clock))
    clock.advance(timedelta(days=1))
    run(worker_for(rig, clock))
    row = the_delivery()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 1)
    assert row.last_error and rig.accepted() == []


class Crash(BaseException):
    """The worker dies right after the provider accepted the message."""


class CrashAfterDeliver:
    def __init__(self, inner: Channel) -> None:
        self.inner = inner
        self.name = inner.name
        self.capabilities = inner.capabilities

    def prepare(self, draft: Draft) -> Prepared:
        return self.inner.prepare(draft)

    def deliver(self, message: Prepared) -> Result:
        self.inner.deliver(message)
        raise Crash

    def close(self) -> None:
        self.inner.close()


def test_crash_between_deliver_and_record(rig: Rig) -> None:
    journey(rig)
    real = channels_for(rig)
    crashing = Channels(*(CrashAfterDeliver(c) for c in real))
    first = worker_for(rig, ManualClock(T0), crashing, lease_seconds=0.3)
    with pytest.raises(RuntimeError, match="sender thread failed"):
        first.run_once()
    first.close()
    row = the_delivery()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)  # nothing recorded
    time.sleep(0.4)  # the dead worker's lease runs out
    run(worker_for(rig, ManualClock(T0)))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    accepted = rig.accepted()
    assert len(accepted) == 2  # the one in-flight message, once more: never more
    assert len(set(accepted)) == 1  # with the same identity, so the duplicate shows
    if IDEMPOTENCY_KEY in real[rig.channel].capabilities:
        assert accepted[0] == rig.key(row.id)  # the receiver acts on it once


def test_gate_refusals(rig: Rig) -> None:
    journey(rig)
    assert write_pending_deliveries(T0) == 1
    channels = channels_for(rig)
    owner = "contract-worker"
    # A campaign paused between the claim and the send: given back, not an attempt.
    ids = claim_deliveries(owner, T0, 10, 60)
    do_set_campaign_status("contract", "paused")
    sender = SenderThread(send_facts)
    try:
        tally = send_claimed(ids, owner, T0, sender, channels)
        row = the_delivery()
        assert (row.status, row.attempts, tally.sent) == (DeliveryStatus.PENDING, 0, 0)
        assert rig.accepted() == []
        # The contact unsubscribed before the send: a personal channel suppresses the
        # message; a call to our own side about the contact still goes.
        do_set_campaign_status("contract", "active")
        do_set_status(ANA, "unsubscribed")
        ids = claim_deliveries(owner, T0, 10, 60)
        tally = send_claimed(ids, owner, T0, sender, channels)
    finally:
        sender.stop()
        channels.close()
    row.refresh_from_db()
    if rig.personal:
        assert (row.status, tally.suppressed, rig.accepted()) == (DeliveryStatus.SUPPRESSED, 1, [])
        assert row.last_error == rig.unsubscribed
    else:
        assert (row.status, tally.sent, len(rig.accepted())) == (DeliveryStatus.SENT, 1, 1)


def test_a_row_for_a_channel_this_worker_lacks_is_retried_with_the_reason() -> None:
    rig = EmailRig()
    try:
        journey(rig)
        only_webhooks = Channels(*(c for c in channels_for(rig) if c.name == "webhook"))
        run(worker_for(rig, ManualClock(T0), only_webhooks))
    finally:
        rig.stop()
    row = the_delivery()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.last_error == "email: no email provider configured (GOTEO_EMAIL_URL) on this worker"
