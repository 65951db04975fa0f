"""A mailer's personal URL: a visit is a click on its delivery, then the landing page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client
from tests.integration.test_attribution import CAMPAIGN, sent

from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Delivery, Enrollment, Exposure
from goteo.channels.direct_mail.qr import personal_url
from goteo.contacts.models import Event
from goteo.contacts.tracking_tokens import mail_token

pytestmark = pytest.mark.django_db(transaction=True)
T = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LANDING = "https://shop.example.com/autumn?src=postcard"


@pytest.fixture
def mailer() -> Delivery:
    do_apply_campaign(CAMPAIGN.format(key="autumn"))
    ana = do_upsert_contact({"email": "ana@example.com"}).contact
    do_enroll("autumn", [ana.id], T)
    journey = Enrollment.objects.get()
    delivery = sent(journey, "postcard", T, links=[LANDING])
    Delivery.objects.filter(id=delivery.id).update(channel="mail")
    return delivery


def _path(delivery: Delivery) -> str:
    return personal_url("http://testserver", settings.SECRET_KEY, delivery.id).removeprefix(
        "http://testserver"
    )


def test_a_visit_is_a_click_on_the_step_then_the_landing_page(
    client: Client, mailer: Delivery
) -> None:
    response = client.get(_path(mailer))
    assert response.status_code == 302 and response["Location"] == LANDING
    assert response["Referrer-Policy"] == "no-referrer"
    mailer.refresh_from_db()
    assert (mailer.clicks, mailer.opens) == (1, 1) and mailer.clicked_at is not None
    clicked = Event.objects.get(name="clicked")
    assert (clicked.source, clicked.delivery_id, clicked.contact_id) == (
        "mail",
        mailer.id,
        mailer.contact_id,
    )
    assert clicked.properties == {"url": LANDING, "link": 0}
    assert Event.objects.get(name="opened").source == "mail"
    # Typed by hand in capitals: the same mailer.
    assert client.get(_path(mailer).upper().replace("/M/", "/m/")).status_code == 302
    mailer.refresh_from_db()
    assert mailer.clicks == 2
    # Scanned twice: one exposure of its own, beside the mailer's.
    visits = Exposure.objects.values_list("channel", "kind", "step_id", "contact_id")
    assert list(visits) == [("mail", "qr_visit", "postcard", mailer.contact_id)]


def test_looking_only_counts_nothing(client: Client, mailer: Delivery) -> None:
    assert client.head(_path(mailer)).status_code == 302
    assert client.get(_path(mailer), headers={"Sec-Purpose": "prefetch"}).status_code == 302
    mailer.refresh_from_db()
    assert mailer.clicks == 0 and not Event.objects.filter(name="clicked").exists()
    assert not Exposure.objects.exists()


def test_bad_tokens_and_unknown_mailers_go_nowhere(client: Client, mailer: Delivery) -> None:
    good = mail_token(settings.SECRET_KEY, mailer.id)
    for token in (good[:-1] + ("a" if good[-1] != "a" else "b"), good[:-1], "x" * 21):
        response = client.get(f"/m/{token}")
        assert response.status_code == 404 and "Location" not in response
    unknown = client.get(f"/m/{mail_token(settings.SECRET_KEY, mailer.id + 1000)}")
    assert unknown.status_code == 404
    Delivery.objects.filter(id=mailer.id).update(links=[])
    assert client.get(f"/m/{good}").status_code == 404
    assert not Event.objects.filter(name="clicked").exists()
