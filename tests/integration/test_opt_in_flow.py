"""Double opt-in through the worker: only the confirmation until confirmed, then the drip."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import timezone
from tests.integration.flow_helpers import Inbox, close_worker, make_worker
from tests.integration.form_helpers import (
    apply_campaign_for,
    apply_form,
    apply_news_campaign,
    confirm_path,
    post,
)
from tests.smtp_sink import SmtpSink

from goteo.actions.confirming import do_confirm
from goteo.actions.preferences import do_unsubscribe_everything
from goteo.actions.suppression import do_suppress, suppression_reason
from goteo.campaigns.models import Campaign, Delivery, Enrollment
from goteo.contacts.models import Consent, Contact
from goteo.contacts.tokens import confirm_token
from goteo.engine.clock import ManualClock
from goteo.engine.state import EnrollmentState
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(timezone.now())


@pytest.fixture
def worker(smtp_sink: SmtpSink, clock: ManualClock) -> Iterator[Worker]:
    w = make_worker(smtp_sink, clock)
    yield w
    close_worker(w)


def _run(worker: Worker, clock: ManualClock) -> None:
    clock.set(timezone.now())
    worker.run_until_idle()


def _force_enrollment(contact: Contact, key: str) -> None:
    """Put the contact into a campaign directly, as a bug or an operator mistake could."""
    campaign = Campaign.objects.select_related("current_version").get(key=key)
    assert campaign.current_version is not None
    Enrollment.objects.create(
        contact=contact,
        campaign=campaign,
        version=campaign.current_version,
        state=EnrollmentState.start("step-1").to_json(),
        due_at=timezone.now(),
        enrolled_at=timezone.now(),
    )


def test_confirmation_then_first_drip_message(
    client: Client, worker: Worker, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    apply_news_campaign()
    apply_campaign_for("other", "other-drip")
    apply_form()
    post(client, "/f/signup/submit", {"email": "ana@example.com", "first_name": "Ana"})
    contact = Contact.objects.get()
    _force_enrollment(contact, "other-drip")

    inbox = Inbox(smtp_sink)
    _run(worker, clock)
    (confirmation,) = inbox.new()
    assert str(confirmation["subject"]) == "Confirma tu suscripción a Novedades"
    assert confirmation["List-Unsubscribe"] is None
    assert Delivery.objects.filter(kind="marketing", status="sent").count() == 0

    link = confirm_path(confirmation)
    page = client.get(link)
    assert page.status_code == 200 and "Confirmar" in page.content.decode()
    contact.refresh_from_db()
    assert contact.status == "unconfirmed" and Consent.objects.get().confirmed_at is None

    done = client.post(link)
    assert "Tu suscripción está confirmada" in done.content.decode()
    assert "/p/" in done.content.decode()
    contact.refresh_from_db()
    assert contact.status == "active" and Consent.objects.get().confirmed_at is not None
    _run(worker, clock)
    (welcome,) = inbox.new()
    assert str(welcome["subject"]) == "Bienvenida, Ana"
    assert welcome["List-Unsubscribe"] is not None

    again = client.post(link)
    assert "ya estaba confirmada" in again.content.decode()
    _run(worker, clock)
    assert inbox.new() == []
    assert Enrollment.objects.filter(campaign__key="news-welcome").count() == 1


def test_a_tampered_or_expired_link_confirms_nothing(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_news_campaign()
    apply_form()
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    consent = Consent.objects.get()
    token = confirm_token(consent.id)

    for bad in (token[:-2] + "xx", confirm_token(consent.id + 1000), "nonsense"):
        response = client.post(f"/c/{bad}")
        assert response.status_code == 404, bad
    damaged = client.post(f"/c/{token[:-1]}", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert "Este enlace no es válido" in damaged.content.decode()

    eight_days_ago = time.time() - 8 * 86400
    monkeypatch.setattr(time, "time", lambda: eight_days_ago)
    old = confirm_token(consent.id)
    monkeypatch.undo()
    page = client.get(f"/c/{old}")
    assert "Este enlace ha caducado" in page.content.decode()
    assert 'href="/f/signup"' in page.content.decode()
    assert client.post(f"/c/{old}").status_code == 200
    assert do_confirm(old, timezone.now()).status == "expired"
    contact = Contact.objects.get()
    assert contact.status == "unconfirmed" and Consent.objects.get().confirmed_at is None
    assert not Enrollment.objects.exists()


def test_confirming_again_after_unsubscribing_is_fresh_consent(client: Client) -> None:
    apply_news_campaign()
    apply_form()
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    contact = Contact.objects.get()
    do_unsubscribe_everything(contact, timezone.now())
    assert suppression_reason("ana@example.com") == "unsubscribed"

    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    contact.refresh_from_db()
    assert contact.status == "unsubscribed"  # not until confirmed
    latest = Consent.objects.latest("id")
    assert do_confirm(confirm_token(latest.id), timezone.now()).status == "confirmed"
    contact.refresh_from_db()
    assert contact.status == "active" and suppression_reason("ana@example.com") is None


def test_a_bounced_or_complaining_address_cannot_confirm(client: Client) -> None:
    apply_news_campaign()
    apply_form()
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    do_suppress("ana@example.com", "complaint")
    response = client.post(f"/c/{confirm_token(Consent.objects.get().id)}")
    assert "No podemos suscribir esta dirección" in response.content.decode()
    assert Contact.objects.get().status == "unconfirmed"
    assert Consent.objects.get().confirmed_at is None and not Enrollment.objects.exists()


def test_single_opt_in_cannot_sign_an_unsubscribed_address_up_again(client: Client) -> None:
    apply_news_campaign()
    apply_form(double_opt_in=False)
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    contact = Contact.objects.get()
    do_unsubscribe_everything(contact, timezone.now())
    Enrollment.objects.all().delete()

    response = post(client, "/f/signup/submit", {"email": "ana@example.com"})
    assert response.status_code == 200  # the same answer: nothing is given away
    contact.refresh_from_db()
    assert contact.status == "unsubscribed" and not Enrollment.objects.exists()
    assert Consent.objects.count() == 2
