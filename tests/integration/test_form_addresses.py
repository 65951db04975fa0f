"""Forms that ask for a postal address: the inputs of their countries, mistakes explained per
input in the form's language, the address stored on the contact."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from tests.integration.form_helpers import apply_form

from goteo.actions.contacts import do_upsert_contact
from goteo.contacts.models import Contact
from goteo.forms.definition import FormInvalid, parse_form
from goteo.web.public.texts import pl

pytestmark = pytest.mark.django_db
PATH = "/f/signup/submit"
GOOD = {
    "email": "ola@example.com",
    "address_line1": "ul. Długa 5",
    "address_line2": "m. 3",
    "address_city": "Kraków",
    "address_postal_code": "31-147",
    "address_country": "PL",
}


def error_of(page: str, name: str) -> str:
    found = re.search(rf'id="goteo-{name}-error">([^<]*)<', page)
    return found.group(1) if found else ""


def test_a_postal_address_is_asked_checked_per_country_and_stored(client: Client) -> None:
    apply_form(locale="pl", double_opt_in=False, fields=["email", "postal_address"],
               countries=["PL", "DE"])  # fmt: skip
    page = client.get("/f/signup").content.decode()
    assert '<option value="PL" selected>Polska</option><option value="DE">Niemcy</option>' in page
    assert 'name="address_postal_code"' in page and 'autocomplete="postal-code"' in page
    assert 'name="address_region"' not in page  # neither country has regions on envelopes
    # A city left out and a postal code of the wrong shape: each input says so, in Polish.
    bad = client.post(PATH, GOOD | {"address_city": "", "address_postal_code": "3114"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert error_of(text, "address_city") == pl.TEXTS["address_required"]
    assert error_of(text, "address_postal_code") == pl.TEXTS["address_invalid"]
    assert error_of(text, "address_line1") == ""
    assert 'value="ul. Długa 5"' in text  # what was typed is kept
    # A country the form does not offer is refused by name too.
    other = client.post(PATH, GOOD | {"address_country": "ES"}).content.decode()
    assert error_of(other, "address_country") == pl.TEXTS["address_country_choice"]
    assert not Contact.objects.exists()

    assert client.post(PATH, GOOD).status_code == 200
    assert Contact.objects.get().postal_address == {
        "name": "", "lines": ["ul. Długa 5", "m. 3"], "city": "KRAKÓW",
        "postal_code": "31-147", "region": "", "country": "PL",
    }  # fmt: skip
    # A public form never overwrites an address already known.
    known = do_upsert_contact(
        GOOD | {"email": "jan@example.com", "address_line1": "Rynek 1", "address_line2": ""}
    ).contact
    assert client.post(PATH, GOOD | {"email": "jan@example.com"}).status_code == 200
    known.refresh_from_db()
    assert known.postal_address["lines"] == ["Rynek 1"]


def test_a_form_document_names_its_countries_with_the_address() -> None:
    base = "key: f\nconsent: I agree\ntopics: [news]\n"
    with pytest.raises(FormInvalid) as refused:
        parse_form(base + "fields: [email, postal_address]\n")
    assert "fields: a postal address needs the countries it may be in" in str(refused.value)
    with pytest.raises(FormInvalid) as refused:
        parse_form(base + "fields: [email, postal_address]\ncountries: [PL, XX, pl, NO]\n")
    assert "line 5: countries[1]: 'XX' is not a country code" in str(refused.value)
    assert "countries[2]: 'pl' is listed twice" in str(refused.value)
    assert 'countries[3]: YAML reads NO as false: write Norway as "NO"' in str(refused.value)
    assert parse_form(base + "fields: [email, postal_address]\ncountries: [es]\n").countries == (
        "ES",
    )
