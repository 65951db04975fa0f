"""Forms: an optional phone field and an SMS opt-in checkbox, recorded with its proof."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from goteo.actions.forms import do_apply_form, do_submit_form
from goteo.contacts.channel_consent import may_send_sms
from goteo.contacts.models import ChannelConsent, Contact, Form
from goteo.forms.definition import FormInvalid, parse_form
from goteo.web.public.form_page import snippet_html

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FORM = """\
key: offers
name: Offers
locale: es
double_opt_in: false
fields: [email, phone]
topics: [offers]
consent: Quiero recibir ofertas por email.
sms_consent: Y también por SMS, como mucho uno a la semana. Responde STOP para darte de baja.
"""


@pytest.fixture
def form(settings: Any) -> Form:
    settings.GOTEO_DEFAULT_REGION = "ES"
    return do_apply_form(FORM).form


def submit(form: Form, **data: str) -> Any:
    return do_submit_form(form, {"email": "ana@example.com"} | data, "203.0.113.9", "UA", NOW)


def test_ticking_the_sms_box_records_sms_consent_with_the_words_shown(form: Form) -> None:
    outcome = submit(form, phone="612 34 56 78", sms_agree="yes")
    assert outcome.status == "subscribed", outcome.errors
    contact = Contact.objects.get()
    assert contact.phone == "+34612345678" and may_send_sms(contact)
    record = ChannelConsent.objects.get()
    assert (record.source, record.status, record.ip) == ("form", "granted", "203.0.113.9")
    assert record.text.startswith("Y también por SMS")


def test_a_phone_without_the_box_ticked_gives_no_sms_consent(form: Form) -> None:
    assert submit(form, phone="+34 612 34 56 78").status == "subscribed"
    contact = Contact.objects.get()
    assert contact.phone == "+34612345678" and not may_send_sms(contact)
    assert not ChannelConsent.objects.exists()


def test_bad_or_missing_phones_are_field_errors_and_store_nothing(form: Form) -> None:
    assert submit(form, phone="12", sms_agree="yes").errors == {"phone": "invalid_phone"}
    assert submit(form, sms_agree="yes").errors == {"phone": "phone_required"}
    assert not Contact.objects.exists() and not ChannelConsent.objects.exists()


def test_the_form_shows_a_phone_input_and_the_sms_box(form: Form) -> None:
    html = snippet_html(form)
    assert '<label for="goteo-phone">Teléfono móvil</label>' in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    assert '<input type="checkbox" name="sms_agree" value="yes">' in html
    assert "Y también por SMS" in html


def test_sms_consent_needs_the_phone_field() -> None:
    with pytest.raises(FormInvalid) as refused:
        parse_form(FORM.replace("fields: [email, phone]", "fields: [email]"))
    assert [str(p) for p in refused.value.problems] == [
        "line 8: sms_consent: asks for SMS consent, so fields must include phone"
    ]
