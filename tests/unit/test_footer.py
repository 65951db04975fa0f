"""The compliance footer: added only where the unsubscribe link or postal address is missing."""

from __future__ import annotations

import pytest

from goteo.content.footer import add_footer, footer_locale

URL = "https://goteo.example.com/u/1a:Zm9v"
ADDRESS = "Shop & Co, Calle Mayor 1, 28013 Madrid, Spain"
LABELS = {
    "en": "Unsubscribe",
    "es": "Date de baja",
    "fr": "Se désabonner",
    "it": "Annulla l’iscrizione",
    "pl": "Wypisz się",
    "ru": "Отписаться",
}


def footer(html: str, text: str, locale: str = "en", address: str = ADDRESS) -> tuple[str, str]:
    return add_footer(html, text, unsubscribe_url=URL, postal_address=address, locale=locale)


@pytest.mark.parametrize("locale", sorted(LABELS))
def test_a_bare_message_gets_both_in_its_language(locale: str) -> None:
    html, text = footer("<html><body><p>Hi</p></body></html>", "Hi\n", locale)
    assert html.startswith("<html><body><p>Hi</p><div ")
    assert html.endswith("</div></body></html>")
    assert f'lang="{locale}"' in html
    assert f'<a href="{URL}" style="color:#666666">{LABELS[locale]}</a>' in html
    assert "Shop &amp; Co, Calle Mayor 1" in html
    assert text.startswith("Hi\n\n-- \nShop & Co, Calle Mayor 1, 28013 Madrid, Spain\n")
    colon = "\u00a0: " if locale == "fr" else ": "  # French typography
    assert text.endswith(f"{LABELS[locale]}{colon}{URL}\n")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr-CA", "fr"), ("pt_BR", "en"), ("", "en"), ("de", "en"), ("ES", "es")],
)
def test_languages_fall_back_to_english(locale: str, expected: str) -> None:
    assert footer_locale(locale) == expected


def test_a_message_showing_both_is_left_alone() -> None:
    html = f'<p><a href="{URL}">Leave</a> · Shop &amp; Co, Calle Mayor 1, 28013 Madrid, Spain</p>'
    text = f"Bye\nLeave ({URL})\nShop & Co, Calle Mayor 1,\n28013 Madrid, Spain\n"
    assert footer(html, text) == (html, text)


def test_only_what_is_missing_is_added_to_each_part() -> None:
    html, text = footer(f'<p><a href="{URL}">Leave</a></p>', f"Bye {ADDRESS}\n", "es")
    assert "Date de baja" not in html and "Shop &amp; Co" in html  # the address only
    assert "Shop" not in text.partition("-- ")[2] and f"Date de baja: {URL}" in text


def test_an_escaped_url_in_the_html_counts() -> None:
    url = "https://goteo.example.com/u/1a?x=1&y=2"
    html = f'<a href="{url.replace("&", "&amp;")}">x</a>'
    out, _ = add_footer(html, url, unsubscribe_url=url, postal_address="", locale="en")
    assert out == html


def test_without_a_postal_address_only_the_link_is_added() -> None:
    html, text = footer("<p>Hi</p>", "Hi\n", address="")
    assert html.startswith("<p>Hi</p><div ") and "Unsubscribe" in html
    assert text == f"Hi\n\n-- \nDon't want these emails any more?\nUnsubscribe: {URL}\n"
    assert footer(f'<a href="{URL}">x</a>', URL, address="") == (f'<a href="{URL}">x</a>', URL)


def test_the_footer_goes_before_the_last_closing_body_tag_in_any_case() -> None:
    html, _ = footer("<HTML><BODY><p>x</p></BODY></HTML>", "x")
    assert html.index("<div ") < html.index("</BODY>")
