"""A form's own words, per locale: ``texts: {de: {submit: Anmelden, …}}``.

Goteo has built-in texts (the public pages and the confirmation email) in English, Spanish,
French, Italian, Polish and Russian. A form may supply any of them, in any locale, and its
words win; whatever it leaves out comes from the built-in texts of that language, then from
English. ``confirmation_subject`` and ``confirmation_body`` (HTML, with Liquid) replace the
double opt-in email for contacts of that locale; the body must print ``{{ confirm_url }}``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING

from liquid.exceptions import LiquidError

from goteo.content.checks import NAMESPACE
from goteo.content.liquid_env import environment_for
from goteo.content.system import SYSTEM_MESSAGES
from goteo.engine import locales
from goteo.engine.problems import Problem

if TYPE_CHECKING:
    from goteo.forms.definition import FormDefinition

#: The languages Goteo has its own texts in (pages and confirmation email alike).
BUILT_IN_LANGUAGES: tuple[str, ...] = tuple(sorted(SYSTEM_MESSAGES.locales("confirm")))

ADDRESS_LABELS = (
    "address_line1", "address_line2", "address_city", "address_postal_code", "address_region",
    "address_country",
)  # fmt: skip
ADDRESS_ERRORS = ("address_required", "address_invalid", "address_country_choice")
ADDRESS_TEXTS = (*ADDRESS_LABELS, *ADDRESS_ERRORS)  # shown by forms that ask for an address
LABELS = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "locale",
    "topics",
    "submit",
    *ADDRESS_LABELS,
)
ERRORS = (
    "invalid_email", "invalid_name", "invalid_phone", "phone_required", "invalid_locale",
    "invalid_field", "no_topic", *ADDRESS_ERRORS,
    "consent_required", "fix_errors", "limited", "csrf_title", "csrf_body",
)  # fmt: skip
THANKS = ("pending_title", "pending_body", "subscribed_title", "subscribed_body")
CONFIRM_PAGE = (
    "confirm_title", "confirm_body", "confirm_button", "confirmed_title", "confirmed_body",
    "already_title", "expired_title", "expired_body", "blocked_title", "blocked_body",
    "manage_preferences",
)  # fmt: skip
PAGE_KEYS = (*LABELS, *ERRORS, *THANKS, *CONFIRM_PAGE)
SUBJECT, BODY = "confirmation_subject", "confirmation_body"
TEXT_KEYS = (*PAGE_KEYS, SUBJECT, BODY)
# What the confirmation email's subject and body may print.
_MESSAGE_NAMES = ("contact", "confirm_url", "form_name")
_CONTACT_FIELDS = NAMESPACE["contact"] or frozenset()


def unknown_key_message(key: object) -> str:
    """ "unknown text" naming the closest key a form may supply."""
    guess = difflib.get_close_matches(str(key), TEXT_KEYS, n=1, cutoff=0.6)
    if guess:
        return f"unknown text (did you mean {guess[0]}?)"
    return f"unknown text; a form may supply: {', '.join(TEXT_KEYS)}"


def has_built_in(locale: str) -> bool:
    """Goteo has its own texts in this locale's language (``de-at`` -> ``de``)."""
    return any(c in BUILT_IN_LANGUAGES for c in locales.candidates(locale, ""))


def supplied_for(texts: dict[str, dict[str, str]], locale: str) -> dict[str, str]:
    """The texts a form supplies for a locale: ``de-at`` uses ``de-at``, then ``de``."""
    found: dict[str, str] = {}
    for candidate in reversed(locales.candidates(locale, "")):
        found |= texts.get(candidate, {})
    return found


def confirmation_locale(definition: FormDefinition, contact_locale: str) -> str:
    """The confirmation email's locale: the contact's (else the form's), among the locales
    Goteo and the form write it in; then the form's own, then English."""
    written = [*BUILT_IN_LANGUAGES]
    written += [loc for loc, words in definition.texts.items() if SUBJECT in words]
    fallback = locales.resolve(definition.locale, written, SYSTEM_MESSAGES.default_locale)
    return locales.resolve(contact_locale or definition.locale, written, fallback)


def message_problems(field: str, source: str) -> list[str]:
    """Problems of a confirmation subject or body: Liquid syntax and the names it prints."""
    try:
        template = environment_for("html" if field == BODY else "subject").from_string(source)
    except LiquidError as exc:
        where = exc.context()
        return [f"{exc.message} (line {where[0]} of the text)" if where else str(exc.message)]
    problems = []
    names = template.analyze().globals
    for name, variables in names.items():
        fields = {v.segments[1] for v in variables if len(v.segments) > 1}
        if name not in _MESSAGE_NAMES:
            problems.append(f"unknown variable {name} (use contact, confirm_url or form_name)")
        elif name == "contact" and fields - _CONTACT_FIELDS:
            unknown = sorted(str(f) for f in fields - _CONTACT_FIELDS)[0]
            guess = difflib.get_close_matches(unknown, sorted(_CONTACT_FIELDS), n=1)
            hint = f" (did you mean contact.{guess[0]}?)" if guess else ""
            problems.append(f"unknown variable contact.{unknown}{hint}")
    if field == BODY and "confirm_url" not in names:
        problems.append("must print the confirmation link: {{ confirm_url }}")
    return problems


def needed_keys(definition: FormDefinition) -> list[str]:
    """The texts this form can show: only the fields it asks, the opt-in it uses…"""
    fields, names = set(definition.fields), {"first_name", "last_name"}
    skipped = {
        "first_name": "first_name" not in fields,
        "last_name": "last_name" not in fields,
        "invalid_name": not fields & names,
        "phone": "phone" not in fields,
        "invalid_phone": "phone" not in fields,
        "phone_required": not definition.sms_consent,
        "locale": "locale" not in fields,
        "invalid_locale": "locale" not in fields,
        "topics": len(definition.topics) < 2,
        "no_topic": len(definition.topics) < 2,
        "consent_required": not definition.consent_checkbox,
    } | dict.fromkeys(ADDRESS_TEXTS, not definition.countries)
    thanks = ("pending_title", "pending_body") if definition.double_opt_in else THANKS[2:]
    keys = [k for k in (*LABELS, *ERRORS) if not skipped.get(k)]
    if not definition.redirect:
        keys += thanks
    if definition.double_opt_in:
        keys += [*CONFIRM_PAGE, SUBJECT, BODY]
    return keys


def text_warnings(definition: FormDefinition, line: Callable[[str], int | None]) -> list[Problem]:
    """A locale the form is shown or written in, with words from neither Goteo nor the form."""
    warnings = []
    locale = definition.locale
    supplied = definition.texts_for(locale)
    if not has_built_in(locale) and not supplied:
        warnings.append(
            Problem(
                line("locale"),
                "locale",
                f"Goteo has no texts in {locale!r} and the form supplies none: its page, error "
                "messages, thank-you page and confirmation email will be in English (give "
                f"them under texts: {{{locale}: {{submit: …}}}})",
            )
        )
    elif not has_built_in(locale):
        missing = [k for k in needed_keys(definition) if k not in supplied]
        if missing:
            path = f"texts.{locale}" if locale in definition.texts else "texts"
            warnings.append(
                Problem(line(path), path, f"no text for {', '.join(missing)}: English is used")
            )
    for i, language in enumerate(definition.languages):
        if language != locale and not definition.speaks(language):
            fallback = confirmation_locale(definition, language)
            warnings.append(
                Problem(
                    line(f"languages[{i}]"),
                    f"languages[{i}]",
                    f"neither Goteo nor the form has texts in {language!r}: whoever chooses it "
                    f"gets the confirmation email in {fallback!r}",
                )
            )
    if definition.languages and "locale" not in definition.fields:
        warnings.append(
            Problem(line("languages"), "languages", "is unused: add locale to fields to ask it")
        )
    return warnings
