"""A form's own words in any locale: parsing ``texts`` and ``languages``, problems, warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from goteo.forms import texts as form_texts
from goteo.forms.definition import FormInvalid, parse_form
from goteo.web.public import texts as public_texts
from goteo.web.public.texts import en

GERMAN = (Path(__file__).resolve().parents[2] / "examples" / "newsletter-de-form.yaml").read_text(
    encoding="utf-8"
)
BASE = """\
key: anmeldung
locale: de
fields: [email, first_name]
topics: [news]
consent: Ich möchte den Newsletter erhalten.
"""


def problems(source: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(FormInvalid) as refused:
        parse_form(source)
    return [(p.line, p.path, p.message) for p in refused.value.problems]


def warnings(source: str) -> list[tuple[int | None, str, str]]:
    return [(w.line, w.path, w.message) for w in parse_form(source).warnings]


def test_the_german_example_supplies_every_text_it_shows() -> None:
    form = parse_form(GERMAN)
    assert form.locale == "de" and form.warnings == ()
    assert form.language_choices == ("de", "en", "fr")
    assert form.texts_for("de")["submit"] == "Anmelden"
    assert form.texts_for("de-AT") == form.texts_for("de")  # a region uses its language
    assert form.texts_for("fr") == {}


def test_the_menu_offers_goteos_languages_and_the_forms_own_by_default() -> None:
    form = parse_form(BASE + "texts:\n  nl: {submit: Aanmelden}\n")
    assert form.language_choices == ("en", "es", "fr", "it", "pl", "ru", "de", "nl")


def test_bad_texts_are_refused_with_their_line_and_a_suggestion() -> None:
    source = BASE + (
        "languages: [de, Deutsch!, de]\n"
        "texts:\n"
        "  de:\n"
        "    submti: Anmelden\n"
        "    email: ''\n"
        "    confirmation_subject: 'Bitte bestätigen'\n"
        "  xx_YY_zz!: {submit: x}\n"
        "  fr:\n"
        "    confirmation_subject: 'Confirmez, {{ contact.frist_name }}'\n"
        "    confirmation_body: '<p>{{ confirm_link }}</p>'\n"
        "  it: [submit]\n"
    )
    assert problems(source) == [
        (6, "languages[1]", "'Deutsch!' is not a locale (like en, es, fr-CA)"),
        (6, "languages[2]", "'de' is listed twice"),
        (9, "texts.de.submti", "unknown text (did you mean submit?)"),
        (10, "texts.de.email", "'' must be non-empty text"),
        (
            11,
            "texts.de.confirmation_subject",
            "needs confirmation_body too: the email has both or neither",
        ),
        (12, "texts.xx_YY_zz!", "'xx_YY_zz!' is not a locale (like en, es, fr-CA)"),
        (
            14,
            "texts.fr.confirmation_subject",
            "unknown variable contact.frist_name (did you mean contact.first_name?)",
        ),
        (
            15,
            "texts.fr.confirmation_body",
            "unknown variable confirm_link (use contact, confirm_url or form_name)",
        ),
        (15, "texts.fr.confirmation_body", "must print the confirmation link: {{ confirm_url }}"),
        (16, "texts.it", "must map text keys to words, like {submit: Anmelden}"),
    ]


def test_a_locale_without_any_texts_is_a_warning_naming_its_line() -> None:
    assert warnings(BASE.replace("locale: de", "locale: nl")) == [
        (
            2,
            "locale",
            "Goteo has no texts in 'nl' and the form supplies none: its page, error messages, "
            "thank-you page and confirmation email will be in English (give them under texts: "
            "{nl: {submit: …}})",
        )
    ]
    assert warnings(BASE.replace("locale: de", "locale: es-MX")) == []  # Goteo speaks es


def test_missing_texts_are_named_only_for_what_the_form_shows() -> None:
    words = {key: "x" for key in form_texts.needed_keys(parse_form(BASE))}
    words.pop("submit")
    words.pop(form_texts.BODY)
    words.pop(form_texts.SUBJECT)
    listed = "\n".join(f"    {key}: x" for key in words)
    found = warnings(BASE + "texts:\n  de:\n" + listed + "\n")
    message = "no text for submit, confirmation_subject, confirmation_body: English is used"
    assert found == [(7, "texts.de", message)]
    # One topic, no checkbox, no locale field: their words are not asked for.
    assert not {"topics", "no_topic", "consent_required", "locale"} & set(words)


def test_a_listed_language_without_texts_and_an_unasked_menu_are_warnings() -> None:
    source = GERMAN.replace("languages: [de, en, fr]", "languages: [de, en, nl]")
    assert warnings(source) == [
        (
            10,
            "languages[2]",
            "neither Goteo nor the form has texts in 'nl': whoever chooses it gets the "
            "confirmation email in 'de'",
        )
    ]
    unasked = GERMAN.replace("fields: [email, first_name, locale]", "fields: [email]")
    assert (10, "languages", "is unused: add locale to fields to ask it") in warnings(unasked)


def test_goteos_own_texts_cover_what_a_form_may_supply() -> None:
    assert set(form_texts.BUILT_IN_LANGUAGES) == set(public_texts.CATALOG)
    assert set(form_texts.PAGE_KEYS) <= set(en.TEXTS)
    german = parse_form(GERMAN)
    merged = public_texts.texts("de", german)
    assert merged["submit"] == "Anmelden" and merged["not_found"] == en.TEXTS["not_found"]
    assert public_texts.texts("fr", german) == public_texts.texts("fr")
    assert public_texts.language_for("de-CH", form=german) == "de"
    assert public_texts.language_for("de-CH") == "en"
