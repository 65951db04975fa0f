"""The preference centre: topics, language, pause and unsubscribe, by a signed link."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.integration.form_helpers import apply_campaign_for, apply_form, apply_news_campaign

from goteo.actions.contacts import do_upsert_contact
from goteo.actions.subscriptions import do_subscribe
from goteo.actions.suppression import suppression_reason
from goteo.campaigns.models import Enrollment
from goteo.contacts.models import Contact, Subscription
from goteo.contacts.tokens import preference_token

pytestmark = pytest.mark.django_db(transaction=True)


def _ana() -> tuple[Contact, str]:
    """An active Spanish contact subscribed to ``news``; and her preference centre's path."""
    apply_news_campaign()
    apply_campaign_for("offers", "offers-drip")
    apply_form(topics=["news", {"key": "offers", "label": "Ofertas"}])
    contact = do_upsert_contact({"email": "ana@example.com", "locale": "es"}).contact
    do_subscribe([contact.id], "news", timezone.now())
    return contact, f"/p/{preference_token(contact.id)}"


def _state(contact: Contact) -> tuple[str, str, datetime | None, list[str]]:
    contact.refresh_from_db()
    topics = sorted(Subscription.objects.filter(contact=contact).values_list("topic", flat=True))
    return contact.status, contact.locale, contact.paused_until, topics


def test_opening_the_page_changes_nothing(client: Client) -> None:
    contact, path = _ana()
    before = _state(contact)
    page = client.get(path)
    assert page.status_code == 200
    body = page.content.decode()
    assert '<html lang="es">' in body and "Tus preferencias de correo" in body
    assert 'value="news" checked' in body and 'value="offers">' in body and "Ofertas" in body
    assert _state(contact) == before


def test_topics_are_added_and_removed(client: Client) -> None:
    contact, path = _ana()
    response = client.post(path, {"action": "save", "topics": ["offers"], "locale": "es"})
    assert "Tus preferencias se han guardado." in response.content.decode()
    assert _state(contact)[3] == ["offers"]
    journeys = dict(Enrollment.objects.values_list("campaign__key", "status"))
    assert journeys == {"news-welcome": "exited", "offers-drip": "active"}


def test_language_and_pause(client: Client) -> None:
    contact, path = _ana()
    client.post(path, {"topics": ["news"], "locale": "ru", "pause": "1m"})
    status, locale, paused, topics = _state(contact)
    assert (status, locale, topics) == ("active", "ru", ["news"])
    assert paused is not None
    assert timedelta(days=29) < paused - timezone.now() <= timedelta(days=30)
    page = client.get(path).content.decode()
    assert "Рассылка приостановлена до" in page and 'value="resume"' in page

    client.post(path, {"topics": ["news"], "locale": "tlh", "pause": "resume"})
    assert _state(contact)[1:3] == ("ru", None)  # an unknown language is ignored


def test_unsubscribe_from_everything(client: Client) -> None:
    contact, path = _ana()
    response = client.post(path, {"action": "unsubscribe"})
    assert "Te has dado de baja de todo." in response.content.decode()
    assert _state(contact) == ("unsubscribed", "es", None, [])
    assert suppression_reason("ana@example.com") == "unsubscribed"
    assert not Enrollment.objects.filter(status="active").exists()
    # Once unsubscribed, the page offers nothing to change, and a stray post changes nothing.
    client.post(path, {"topics": ["news"], "locale": "en"})
    assert _state(contact) == ("unsubscribed", "es", None, [])


def test_a_bad_token_is_404(client: Client) -> None:
    contact, path = _ana()
    for bad in (path[:-2] + "zz", "/p/1:abc", f"/p/{preference_token(contact.id + 99)}"):
        response = client.get(bad)
        assert response.status_code == 404, bad
        assert client.post(bad, {"action": "unsubscribe"}).status_code == 404
    assert _state(contact)[0] == "active"
