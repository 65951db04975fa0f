"""Postal addresses on contacts: checked per country on the API and CSV import, never lost."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client

from goteo.actions.importing import do_import_csv
from goteo.contacts.models import Contact
from goteo.contacts.postal import usable_address

AUTH = {"Authorization": "Bearer test-api-key"}
WARSAW = {
    "name": "Zofia Wójcik",
    "lines": ["ul. Marszałkowska 1"],
    "city": "Warszawa",
    "postal_code": "00-950",
    "country": "pl",
}


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/contacts", data=json.dumps(body), content_type="application/json", headers=AUTH
    )


@pytest.mark.django_db
def test_api_stores_a_checked_address_and_refuses_a_bad_one(client: Client) -> None:
    assert _post(client, {"email": "zofia@example.com", "postal_address": WARSAW}).status_code in (
        200,
        201,
    )
    contact = Contact.objects.get(email="zofia@example.com")
    assert contact.postal_address == {
        "name": "Zofia Wójcik",
        "lines": ["ul. Marszałkowska 1"],
        "city": "WARSZAWA",
        "postal_code": "00-950",
        "region": "",
        "country": "PL",
    }
    shown = client.get("/api/v1/contacts/zofia@example.com", headers=AUTH).json()
    assert shown["postal_address"]["country"] == "PL"
    bad = _post(
        client,
        {"email": "zofia@example.com", "postal_address": {**WARSAW, "postal_code": "0095"}},
    )
    assert bad.status_code == 400
    assert "postal_address.postal_code" in json.dumps(bad.json())
    contact.refresh_from_db()
    assert contact.postal_address["postal_code"] == "00-950"  # the good one is kept
    missing = _post(client, {"email": "x@example.com", "postal_address": {"country": "US"}})
    assert missing.status_code == 400
    fields = json.dumps(missing.json())
    assert "postal_address.lines" in fields
    assert not Contact.objects.filter(email="x@example.com").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("part", ["name", "city", "postal_code"])
def test_a_control_character_in_an_address_is_refused_naming_the_part(
    client: Client, part: str
) -> None:
    response = _post(
        client, {"email": "zofia@example.com", "postal_address": {**WARSAW, part: "a\x00b"}}
    )
    assert response.status_code == 400
    assert "U+0000" in json.dumps(response.json())
    assert not Contact.objects.filter(email="zofia@example.com").exists()


@pytest.mark.django_db
def test_csv_columns_make_the_address_and_bad_rows_are_named_by_line() -> None:
    text = (
        "email,first_name,address_line1,address_city,address_postal_code,address_region,"
        "address_country\n"
        "ann@example.com,Ann,1600 Amphitheatre Pkwy,Mountain View,94043,CA,US\n"
        "bob@example.com,Bob,1 Main St,Springfield,1234,,US\n"
        "cy@example.com,Cy,,,,,\n"
    )
    report = do_import_csv(io.StringIO(text))
    assert report.created == 2
    [(line, message)] = report.errors
    assert line == 3 and "postal_address.postal_code" in message
    assert "postal_address.region" in message
    ann = Contact.objects.get(email="ann@example.com")
    assert ann.postal_address["city"] == "MOUNTAIN VIEW" and ann.attributes == {}
    assert usable_address(ann.postal_address)[0] is not None
    cy = Contact.objects.get(email="cy@example.com")
    assert cy.postal_address == {}
    assert usable_address(cy.postal_address) == (None, "no postal address")


def test_a_stored_address_that_no_longer_passes_says_why() -> None:
    address, reason = usable_address({**WARSAW, "lines": []})
    assert address is None and reason == "postal address lines: is required (the street and number)"
