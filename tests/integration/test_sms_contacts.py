"""Phone numbers on every way in, and SMS consent: granted with proof, checked before sending."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from tests.integration.procs import goteo, goteo_json

from goteo.actions.gdpr import do_erase_contact, do_export_contact
from goteo.actions.importing import do_import_csv
from goteo.actions.sms_consent import do_inbound_sms, grant_sms_consent
from goteo.actions.suppression import suppression_reason
from goteo.contacts.channel_consent import may_send_sms, sms_refusal
from goteo.contacts.fields import check_contact
from goteo.contacts.models import ChannelConsent, Contact
from goteo.contacts.phones import phone_hash
from goteo.contacts.sms_consent_export import sms_consent_rows
from goteo.contacts.tokens import preference_token

AUTH = {"Authorization": "Bearer test-api-key"}
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def post_contact(client: Client, body: Any) -> Any:
    return client.post(
        "/api/v1/contacts", data=json.dumps(body), content_type="application/json", headers=AUTH
    )


def test_phone_is_stored_in_e164_read_in_the_contacts_country_or_the_default(
    settings: Any,
) -> None:
    settings.GOTEO_DEFAULT_REGION = "ES"
    checked, errors = check_contact({"email": "a@example.com", "phone": "612 34 56 78"})
    assert errors == {} and checked is not None
    assert checked.fields["phone"] == "+34612345678"
    checked, _ = check_contact(
        {"email": "a@example.com", "phone": "(201) 555-0123", "country": "US"}
    )
    assert checked is not None and checked.fields["phone"] == "+12015550123"
    checked, _ = check_contact({"email": "a@example.com", "phone": "+48 512 345 678"})
    assert checked is not None and checked.fields["phone"] == "+48512345678"


def test_a_bad_phone_is_an_error_naming_the_field_and_the_value(settings: Any) -> None:
    settings.GOTEO_DEFAULT_REGION = ""
    cases = {
        "612 34 56 78": "'612 34 56 78' is not a phone number (start it with + and the country",
        "+34 1": "'+34 1' is not a phone number",
        "+1 555 0000": "is not a valid phone number",
        "+34 612\x00345678": "control character (U+0000)",
        "+34 612\u0085345678": "control character (U+0085)",
        "+34 612\n345678": "control character (U+000A)",
    }
    for value, message in cases.items():
        checked, errors = check_contact({"email": "a@example.com", "phone": value})
        assert checked is None and list(errors) == ["phone"], value
        assert message in errors["phone"], (value, errors)


@pytest.mark.django_db
def test_csv_import_takes_phones_and_reports_a_bad_one_with_its_line(settings: Any) -> None:
    settings.GOTEO_DEFAULT_REGION = "ES"
    csv_text = (
        "email,first_name,phone\n"
        "ana@example.com,Ana,612 34 56 78\n"
        "bo@example.com,Bo,12\n"
        "cy@example.com,Cy,+1 201 555 0123\n"
    )
    report = do_import_csv(io.StringIO(csv_text))
    assert report.created == 2
    assert report.errors == [(3, "phone: '12' is not a valid phone number in ES")]
    phones = dict(Contact.objects.values_list("email", "phone"))
    assert phones == {"ana@example.com": "+34612345678", "cy@example.com": "+12015550123"}
    again = do_import_csv(io.StringIO("email,phone\nana@example.com,+34 699 99 99 99\n"))
    assert again.updated == 1
    assert Contact.objects.get(email="ana@example.com").phone == "+34699999999"


@pytest.mark.django_db
def test_api_takes_a_phone_and_sms_consent_with_its_proof(client: Client) -> None:
    response = post_contact(
        client,
        {
            "email": "ana@example.com",
            "phone": "+34 612 34 56 78",
            "sms_opt_in": {"text": "Texts about offers, at most weekly", "ip": "203.0.113.9"},
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+34612345678"
    assert response.json()["sms_consent"] == "granted"
    record = ChannelConsent.objects.get()
    assert (record.channel, record.status, record.source) == ("sms", "granted", "api")
    assert record.text == "Texts about offers, at most weekly" and record.ip == "203.0.113.9"
    assert may_send_sms(Contact.objects.get())


@pytest.mark.django_db
def test_api_refuses_sms_consent_without_a_phone_and_stores_nothing(client: Client) -> None:
    no_phone = post_contact(client, {"email": "bo@example.com", "sms_opt_in": {"text": "Yes"}})
    assert no_phone.status_code == 400
    assert no_phone.json()["fields"] == {"phone": "SMS consent needs a phone number"}
    bad = post_contact(
        client, {"email": "bo@example.com", "phone": "+34612345678", "sms_opt_in": {"ip": "x"}}
    )
    assert bad.status_code == 400 and "sms_opt_in" in bad.json()["fields"]
    read_only = post_contact(client, {"email": "bo@example.com", "sms_consent": "granted"})
    assert read_only.json()["fields"] == {"sms_consent": "cannot be set here"}
    bad_phone = post_contact(client, {"email": "bo@example.com", "phone": "call me"})
    assert bad_phone.status_code == 400 and list(bad_phone.json()["fields"]) == ["phone"]
    assert not Contact.objects.exists() and not ChannelConsent.objects.exists()


@pytest.mark.django_db
def test_stop_withdraws_and_start_restores_sms_consent_of_every_contact_with_the_number(
    client: Client,
) -> None:
    for email in ("ana@example.com", "family@example.com"):
        post_contact(
            client,
            {"email": email, "phone": "+34612345678", "sms_opt_in": {"text": "Offers by SMS"}},
        )
    other = post_contact(
        client, {"email": "cy@example.com", "phone": "+34699999999", "sms_opt_in": {"text": "Ok"}}
    )
    assert other.status_code == 201
    outcome = do_inbound_sms("+34612345678", " stop ", "SM" + "1" * 32, NOW)
    assert (outcome.keyword, outcome.contacts) == ("stop", 2)
    for contact in Contact.objects.filter(phone="+34612345678"):
        assert not may_send_sms(contact)
        assert sms_refusal(contact.phone, contact.sms_consent) == "SMS consent withdrawn"
    withdrawn = ChannelConsent.objects.filter(status="withdrawn")
    assert {(r.source, r.proof, r.text, r.at) for r in withdrawn} == {
        ("sms", "SM" + "1" * 32, "stop", NOW)
    }
    assert may_send_sms(Contact.objects.get(email="cy@example.com"))
    assert do_inbound_sms("+34612345678", "Unstop", "SM" + "2" * 32, NOW).contacts == 2
    assert all(may_send_sms(c) for c in Contact.objects.all())
    assert do_inbound_sms("+34612345678", "hello there", "SM3", NOW).keyword is None


def test_no_sms_without_a_number_or_consent() -> None:
    assert sms_refusal("", "granted") == "no phone number"
    assert sms_refusal("+34612345678", "") == "no SMS consent"
    assert sms_refusal("+34612345678", "withdrawn") == "SMS consent withdrawn"
    assert sms_refusal("+34612345678", "granted") is None


@pytest.mark.slow  # runs `goteo` as a real process
def test_contacts_add_takes_a_phone_and_names_a_bad_one(goteo_env: dict[str, str]) -> None:
    env = goteo_env | {"GOTEO_DEFAULT_REGION": "ES"}
    goteo(env, "migrate")
    bad = goteo(env, "contacts", "add", "ana@example.com", "--phone", "12", "--json", check=False)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["fields"] == {"phone": "'12' is not a valid phone number in ES"}
    added = goteo_json(env, "contacts", "add", "ana@example.com", "--phone", "612 34 56 78")
    assert added["created"] is True
    [row] = [
        json.loads(line) for line in goteo(env, "contacts", "export", "--json").stdout.splitlines()
    ]
    assert row["phone"] == "+34612345678"


@pytest.mark.django_db
def test_the_data_export_has_the_phone_and_sms_consent_and_erasing_removes_them(
    client: Client,
) -> None:
    post_contact(
        client, {"email": "ana@example.com", "phone": "+34612345678", "sms_opt_in": {"text": "Ok"}}
    )
    exported = do_export_contact("ana@example.com")
    assert exported["contact"]["phone"] == "+34612345678"
    assert exported["contact"]["sms_consent"] == "granted"
    [record] = exported["channel_consents"]
    assert (record["channel"], record["status"], record["text"]) == ("sms", "granted", "Ok")
    do_erase_contact("ana@example.com")
    assert not ChannelConsent.objects.exists()


@pytest.mark.django_db
def test_the_api_withdraws_sms_consent(client: Client) -> None:
    post_contact(
        client, {"email": "ana@example.com", "phone": "+34612345678", "sms_opt_in": {"text": "Ok"}}
    )
    both = post_contact(
        client, {"email": "ana@example.com", "sms_opt_in": {"text": "Ok"}, "sms_opt_out": True}
    )
    assert both.status_code == 400 and both.json()["fields"] == {
        "sms_opt_out": "not with sms_opt_in"
    }
    out = post_contact(client, {"email": "ana@example.com", "sms_opt_out": True})
    assert out.status_code == 200 and out.json()["sms_consent"] == "withdrawn"
    record = ChannelConsent.objects.latest("id")
    assert (record.status, record.source) == ("withdrawn", "api")
    assert not may_send_sms(Contact.objects.get())


@pytest.mark.slow  # runs `goteo` as a real process
def test_consent_export_sms_lists_every_grant_and_withdrawal(goteo_env: dict[str, str]) -> None:
    goteo(goteo_env, "migrate")
    goteo(goteo_env, "contacts", "add", "ana@example.com", "--phone", "+34612345678")
    assert goteo(goteo_env, "consent", "export", "--sms").stdout.splitlines() == [
        "email,phone,status,source,text,ip,proof,at"
    ]
    both = goteo(goteo_env, "consent", "export", "--sms", "--form", "x", check=False)
    assert both.returncode != 0 and "choose one of --sms and --form" in both.stderr


@pytest.mark.django_db
def test_sms_consent_rows_carry_the_proof(client: Client) -> None:
    post_contact(
        client,
        {"email": "ana@example.com", "phone": "+34612345678", "sms_opt_in": {"text": "Texts: ok"}},
    )
    do_inbound_sms("+34612345678", "STOP", "SM" + "5" * 32, NOW)
    rows = list(sms_consent_rows())
    assert [(r["email"], r["phone"], r["status"], r["source"]) for r in rows] == [
        ("ana@example.com", "+34612345678", "granted", "api"),
        ("ana@example.com", "+34612345678", "withdrawn", "sms"),
    ]
    assert rows[0]["text"] == "Texts: ok" and rows[1]["proof"] == "SM" + "5" * 32
    assert rows[1]["at"] == NOW


@pytest.mark.django_db
def test_stop_suppresses_the_number_itself_until_start_or_new_consent() -> None:
    do_inbound_sms("+34612345678", "STOP", "SM" + "6" * 32, NOW)  # no contact has it yet
    assert suppression_reason(phone_hash("+34612345678")) == "unsubscribed"
    do_inbound_sms("+34612345678", "START", "SM" + "7" * 32, NOW)
    assert suppression_reason(phone_hash("+34612345678")) is None
    do_inbound_sms("+34612345678", "STOP", "SM" + "8" * 32, NOW)
    contact = Contact.objects.create(email="ana@example.com", phone="+34612345678")
    grant_sms_consent(contact, "form", "Offers by text", NOW)
    assert suppression_reason(phone_hash("+34612345678")) is None


@pytest.mark.django_db
def test_the_preference_centre_stops_text_messages(client: Client) -> None:
    post_contact(
        client,
        {
            "email": "ana@example.com",
            "locale": "es",
            "phone": "+34612345678",
            "sms_opt_in": {"text": "Ofertas por SMS"},
        },
    )
    contact = Contact.objects.get()
    path = f"/p/{preference_token(contact.id)}"
    page = client.get(path).content.decode()
    assert 'name="sms" value="yes" checked> Mensajes de texto al +34612345678' in page
    client.post(path, {"action": "save", "locale": "es", "sms_shown": "1", "sms": "yes"})
    contact.refresh_from_db()
    assert contact.sms_consent == "granted"  # kept ticked: nothing changes
    client.post(path, {"action": "save", "locale": "es", "sms_shown": "1"})
    contact.refresh_from_db()
    assert not may_send_sms(contact)
    record = ChannelConsent.objects.latest("id")
    assert (record.status, record.source) == ("withdrawn", "preferences")
    assert 'name="sms"' not in client.get(path).content.decode()
