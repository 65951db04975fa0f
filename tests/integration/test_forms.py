"""Public forms: the document, the hosted page and the embed endpoint, and their defences."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.integration.form_helpers import (
    CONSENT_ES,
    apply_campaign_for,
    apply_form,
    apply_news_campaign,
    form_source,
    post,
)

from goteo.actions.forms import do_apply_form, do_submit_form
from goteo.campaigns.models import Delivery, Enrollment
from goteo.contacts.models import Consent, ConsentText, Contact, Form, Subscription
from goteo.forms.definition import FormInvalid, parse_form

pytestmark = pytest.mark.django_db(transaction=True)

BAD_FORM = """\
key: Sign Up
name: Newsletter
locale: klingon!
fields: [email, phone, first_name, first_name]
topics: [news, news, {key: offers, colour: red}]
double_opt_in: maybe
redirect: javascript:alert(1)
colour: blue
"""


def test_a_bad_form_is_refused_whole_with_every_problem_and_its_line() -> None:
    with pytest.raises(FormInvalid) as refused:
        parse_form(BAD_FORM)
    found = {(p.line, p.path) for p in refused.value.problems}
    assert found == {
        (1, "key"),
        (3, "locale"),
        (4, "fields[1]"),
        (4, "fields[3]"),
        (5, "topics[1]"),
        (5, "topics[2].colour"),
        (6, "double_opt_in"),
        (7, "redirect"),
        (8, "colour"),
        (1, "consent"),  # missing: named at the top of the document
    }
    text = str(refused.value)
    assert "line 4: fields[1]: 'phone' is not a field" in text
    assert "line 5: topics[1]: topic 'news' is listed twice" in text
    assert "consent: is required" in text
    with pytest.raises(FormInvalid) as broken:
        parse_form("key: x\ntopics: [a\n")
    assert broken.value.problems[0].line == 2
    assert not Form.objects.exists()


def test_a_good_form_is_understood() -> None:
    definition = parse_form(form_source(topics=["news", {"key": "offers", "label": "Ofertas"}]))
    assert definition.fields == ("email", "first_name")
    assert [(t.key, t.label) for t in definition.topics] == [
        ("news", "news"),
        ("offers", "Ofertas"),
    ]
    assert definition.double_opt_in and definition.locale == "es" and not definition.redirect


def test_the_hosted_form_needs_its_csrf_token() -> None:
    apply_form()
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/f/signup")
    assert page.status_code == 200
    body = page.content.decode()
    assert '<html lang="es">' in body and CONSENT_ES in body and 'name="website"' in body
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None and "csrftoken" in page.cookies

    refused = post(browser, "/f/signup", {"email": "ana@example.com"})
    assert refused.status_code == 403
    assert "Esta página ha caducado" in refused.content.decode()
    assert not Contact.objects.exists()

    data = {"email": "ana@example.com", "csrfmiddlewaretoken": token.group(1)}
    accepted = post(browser, "/f/signup", data)
    assert accepted.status_code == 200
    assert "Revisa tu bandeja de entrada" in accepted.content.decode()
    assert Contact.objects.get().status == "unconfirmed"


def test_the_embed_endpoint_takes_posts_from_other_sites() -> None:
    apply_form()
    response = post(
        Client(enforce_csrf_checks=True),
        "/f/signup/submit",
        {"email": "Ana@Example.com", "first_name": "Ana"},
        Origin="https://shop.example.org",
    )
    assert response.status_code == 200
    contact = Contact.objects.get()
    assert (contact.email, contact.first_name, contact.locale) == ("ana@example.com", "Ana", "es")
    assert post(Client(), "/f/nope/submit", {"email": "a@example.com"}).status_code == 404


def test_the_honeypot_answers_as_usual_and_stores_nothing(client: Client) -> None:
    apply_form()
    data = {"email": "bot@example.com", "website": "https://spam.example"}
    response = post(client, "/f/signup/submit", data)
    assert response.status_code == 200
    assert "Revisa tu bandeja de entrada" in response.content.decode()
    assert not Contact.objects.exists() and not Consent.objects.exists()
    assert not Delivery.objects.exists()


def test_only_the_forms_own_fields_are_read(client: Client) -> None:
    apply_form()
    data = {
        "email": "ana@example.com",
        "status": "active",
        "confirmed_at": "2020-01-01T00:00:00Z",
        "consent": "I agreed to everything",
        "consent_text": "1",
        "last_name": "Not asked",
        "attributes": '{"vip": true}',
        "vip": "yes",
        "id": "1",
        "topics": ["news", "everything"],
    }
    assert post(client, "/f/signup/submit", data).status_code == 200
    contact = Contact.objects.get()
    assert contact.status == "unconfirmed"
    assert contact.last_name == "" and contact.attributes == {}
    consent = Consent.objects.get()
    assert consent.confirmed_at is None and consent.topics == ["news"]
    assert consent.consent_text is not None and consent.consent_text.text == CONSENT_ES
    assert not Subscription.objects.exists()


def test_mistakes_are_explained_in_the_forms_language(client: Client) -> None:
    apply_form(topics=["news", "offers"], consent_checkbox=True, fields=["email", "first_name"])
    response = post(client, "/f/signup/submit", {"email": "not-an-address", "first_name": "A\nB"})
    assert response.status_code == 400
    body = response.content.decode()
    for text in (
        "Escribe una dirección de correo electrónico válida.",
        "Escribe tu nombre en una sola línea",
        "Elige al menos un tema.",
        "Marca la casilla para dar tu consentimiento.",
    ):
        assert text in body
    assert 'value="not-an-address"' in body  # what was typed is kept
    assert not Contact.objects.exists() and not Consent.objects.exists()


def test_double_opt_in_queues_only_the_confirmation_in_the_contacts_language(
    client: Client,
) -> None:
    apply_news_campaign()
    apply_form(fields=["email", "first_name", "locale"])
    post(client, "/f/signup/submit", {"email": "jo@example.com", "locale": "fr"})
    contact = Contact.objects.get()
    assert contact.status == "unconfirmed" and contact.locale == "fr"
    (delivery,) = Delivery.objects.all()
    assert (delivery.kind, delivery.template, delivery.locale) == ("transactional", "confirm", "fr")
    assert delivery.context["form_name"] == "Novedades"
    assert delivery.context["confirm_url"].startswith("http://testserver/c/")
    assert not Subscription.objects.exists() and not Enrollment.objects.exists()


def test_at_most_three_confirmations_per_address_per_day() -> None:
    form = apply_form()
    start = timezone.now()
    for hour in range(5):
        when = start + timedelta(hours=hour, minutes=1)
        outcome = do_submit_form(form, {"email": "ana@example.com"}, "198.51.100.1", "UA", when)
        assert outcome.status == "pending"
        assert outcome.confirmation_queued == (hour < 3)
    assert Consent.objects.count() == 5
    assert Delivery.objects.filter(template="confirm").count() == 3
    later = start + timedelta(days=1, hours=1)
    outcome = do_submit_form(form, {"email": "ana@example.com"}, "198.51.100.1", "UA", later)
    assert outcome.confirmation_queued


def test_too_many_submissions_are_refused_with_429(client: Client) -> None:
    apply_form()
    for n in range(10):
        assert post(client, "/f/signup/submit", {"email": f"p{n}@example.com"}).status_code == 200
    refused = post(client, "/f/signup/submit", {"email": "p10@example.com"})
    assert refused.status_code == 429
    assert "Demasiados intentos" in refused.content.decode()
    assert not Contact.objects.filter(email="p10@example.com").exists()
    # Another address (behind the local proxy) is not held back by those ten ...
    other = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(3):
        assert (
            client.post("/f/signup/submit", {"email": "ana@example.com"}, headers=other).status_code
            == 200
        )
    # ... but one address may be submitted only three times an hour.
    again = client.post("/f/signup/submit", {"email": "ana@example.com"}, headers=other)
    assert again.status_code == 429


def test_single_opt_in_fires_the_trigger_at_once(client: Client) -> None:
    apply_news_campaign()
    apply_campaign_for("quick", "quick-welcome")
    apply_form(key="quick", double_opt_in=False)
    response = post(client, "/f/quick/submit", {"email": "ana@example.com", "first_name": "Ana"})
    assert "¡Gracias!" in response.content.decode()
    contact = Contact.objects.get()
    assert contact.status == "active"
    enrolled = set(Enrollment.objects.values_list("campaign__key", flat=True))
    assert enrolled == {"news-welcome", "quick-welcome"}
    assert set(Subscription.objects.values_list("topic", flat=True)) == {"news", "quick"}
    assert not Delivery.objects.filter(kind="transactional").exists()
    assert Consent.objects.get().confirmed_at is None


def test_a_redirect_replaces_the_thank_you_page(client: Client) -> None:
    apply_form(redirect="https://www.example.com/thanks")
    response = post(client, "/f/signup/submit", {"email": "ana@example.com"})
    assert response.status_code == 303
    assert response["Location"] == "https://www.example.com/thanks"


def test_consent_records_who_what_when_and_where(client: Client) -> None:
    apply_form()
    post(
        client,
        "/f/signup/submit",
        {"email": "ana@example.com"},
        **{"User-Agent": "Mozilla/5.0 (Form test)", "X-Forwarded-For": "203.0.113.7"},
    )
    consent = Consent.objects.select_related("consent_text", "form").get()
    assert consent.ip == "203.0.113.7" and consent.user_agent == "Mozilla/5.0 (Form test)"
    assert consent.form is not None and consent.form.key == "signup" and consent.source == "form"
    assert consent.consent_text is not None and consent.consent_text.text == CONSENT_ES
    assert consent.topics == ["news"] and consent.submitted_at is not None


def test_a_changed_consent_text_is_a_new_version_and_old_records_keep_theirs(
    client: Client,
) -> None:
    form = apply_form()
    old_version = ConsentText.objects.get().version
    old_page = client.get("/f/signup").content.decode()
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    assert do_apply_form(form_source()).outcome == "unchanged"
    assert do_apply_form(form_source(name="Noticias")).new_consent_version is False
    changed = do_apply_form(form_source(consent="Nuevo texto."))
    assert changed.outcome == "updated" and changed.new_consent_version
    assert ConsentText.objects.count() == 2
    form.refresh_from_db()
    assert form.consent_text is not None and form.consent_text.text == "Nuevo texto."

    post(client, "/f/signup/submit", {"email": "bea@example.com"})
    # A page loaded before the change records the words it showed.
    shown = re.search(r'name="consent_version" value="([0-9a-f]+)"', old_page)
    assert shown is not None and shown.group(1) == old_version
    post(client, "/f/signup/submit", {"email": "cy@example.com", "consent_version": old_version})
    post(client, "/f/signup/submit", {"email": "di@example.com", "consent_version": "f" * 64})
    versions = dict(Consent.objects.values_list("contact__email", "consent_text__text"))
    assert versions == {
        "ana@example.com": CONSENT_ES,
        "bea@example.com": "Nuevo texto.",
        "cy@example.com": CONSENT_ES,
        "di@example.com": "Nuevo texto.",
    }


def test_an_unknown_form_is_a_localised_404(client: Client) -> None:
    response = client.get("/f/nope", headers={"Accept-Language": "it-IT,it;q=0.9"})
    assert response.status_code == 404
    assert "Questo modulo non esiste." in response.content.decode()


def test_contact_api_shows_consents_and_subscriptions(client: Client, settings: Any) -> None:
    apply_form(double_opt_in=False)
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    found = client.get(
        "/api/v1/contacts/ana@example.com", headers={"Authorization": "Bearer test-api-key"}
    ).json()
    assert found["subscriptions"] == ["news", "signup"]
    (consent,) = found["consents"]
    assert consent["form"] == "signup" and consent["consent_text"] == CONSENT_ES
    assert consent["ip"] == "127.0.0.1" and consent["user_agent"] == "FormTest/1.0"
