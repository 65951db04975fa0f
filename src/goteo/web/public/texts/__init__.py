"""The words of the public pages (forms, confirmation, preference centre) in six languages.

``texts(locale)`` gives the catalogue for a locale (``es-MX`` -> ``es``), with English for
anything missing; ``language_for`` picks the language of a page. With a ``form``, both also
use the words the form document supplies (``texts:``, see ``goteo.forms.texts``), in any
locale, before Goteo's own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from goteo.engine import locales
from goteo.web.public.texts import en, es, fr, it, pl, ru

if TYPE_CHECKING:
    from goteo.forms.definition import FormDefinition

CATALOG: dict[str, dict[str, str]] = {
    "en": en.TEXTS,
    "es": es.TEXTS,
    "fr": fr.TEXTS,
    "it": it.TEXTS,
    "pl": pl.TEXTS,
    "ru": ru.TEXTS,
}
LANGUAGES = tuple(CATALOG)


def _known(locale: str | None, extra: Collection[str] = ()) -> str | None:
    for candidate in locales.candidates(locale, ""):
        if candidate in CATALOG or candidate in extra:
            return candidate
    return None


def accepted(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first."""
    weighted = []
    for n, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, n, tag))
    return [tag for _, _, tag in sorted(weighted)]


def language_for(
    *preferred: str | None, accept_language: str = "", form: FormDefinition | None = None
) -> str:
    """The first of ``preferred`` we (or the ``form``) have words for, else the browser's
    choice, else English."""
    extra = form.texts if form is not None else ()
    for locale in [*preferred, *accepted(accept_language)]:
        known = _known(locale, extra)
        if known is not None:
            return known
    return "en"


def texts(language: str, form: FormDefinition | None = None) -> dict[str, str]:
    """The words in ``language``: the form's own first, then Goteo's, then English."""
    built_in = en.TEXTS | CATALOG.get(_known(language) or "en", {})
    return built_in | form.texts_for(language) if form is not None else built_in


def language_name(code: str) -> str:
    """A language's own name for itself: español, français, русский."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name() or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def country_name(code: str, language: str) -> str:
    """A country's name in a language: ``country_name("ES", "pl")`` is Hiszpania."""
    try:
        names = Locale.parse(language.replace("-", "_")).territories
    except (ValueError, UnknownLocaleError):
        return code
    return str(names.get(code, code))


def long_date(value: date, language: str) -> str:
    return format_date(value, format="long", locale=language)
