"""Guessing an uploaded CSV's columns from its header."""

from __future__ import annotations

from goteo.contacts.column_guess import guess, slug


def test_common_headers_in_english_and_spanish_read_as_fields() -> None:
    headers = ["E-mail", "Given name", "Apellidos", "Idioma", "Time zone", "Móvil", "País"]
    assert guess(headers) == {
        "E-mail": "email",
        "Given name": "first_name",
        "Apellidos": "last_name",
        "Idioma": "locale",
        "Time zone": "timezone",
        "Móvil": "phone",
        "País": "country",
    }


def test_other_headers_become_attribute_names_and_a_field_is_guessed_once() -> None:
    assert guess(["email", "Email address", "Favourite colour", "2024 spend", "¿?"]) == {
        "email": "email",
        "Email address": "email_address",  # the address came first: this one is kept apart
        "Favourite colour": "favourite_colour",
        "2024 spend": "_2024_spend",
        "¿?": "",  # nothing usable left: skipped unless chosen
    }
    assert slug("Ünïcödé  Name!") == "unicode_name"
    assert len(slug("x" * 100)) == 64
