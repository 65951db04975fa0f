"""Turn a form document (YAML or JSON) into a FormDefinition, or refuse it whole.

Every problem is collected and named by its path and line, as for campaigns.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from goteo.contacts.postal import country_parts
from goteo.engine import yamlsource
from goteo.engine.http_urls import http_url
from goteo.engine.parser import normalize_locale
from goteo.engine.problems import Problem
from goteo.engine.step_parser import SLUG
from goteo.forms import texts as form_texts

POSTAL = "postal_address"  # asks for the parts of a postal address (docs/forms.md)
FIELDS = ("email", "first_name", "last_name", "phone", "locale", POSTAL)
TOP_KEYS = (
    "consent",
    "consent_checkbox",
    "countries",
    "double_opt_in",
    "fields",
    "intro",
    "key",
    "languages",
    "locale",
    "name",
    "redirect",
    "sms_consent",
    "texts",
    "topics",
)
LOCALE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
MESSAGE = (form_texts.SUBJECT, form_texts.BODY)
TEXT_MAX = 5000


class FormInvalid(ValueError):
    """A form document was refused whole; ``problems`` names every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Topic:
    key: str
    label: str  # in the form's language; the key when the document gives none


@dataclass(frozen=True)
class FormDefinition:
    key: str
    name: str
    locale: str
    fields: tuple[str, ...]  # always starts with email
    topics: tuple[Topic, ...]
    double_opt_in: bool
    consent: str
    consent_checkbox: bool
    redirect: str  # empty: Goteo's own thank-you page
    intro: str
    # locale -> text key -> the form's own words (goteo.forms.texts); built-in texts fill in
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    languages: tuple[str, ...] = ()  # the language menu (the `locale` field), in this order
    # The words of the SMS opt-in checkbox (docs/sms.md); empty: the form asks for no SMS.
    sms_consent: str = ""
    # The countries a postal address may be in (ISO alpha-2, upper case), when it asks for one.
    countries: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()  # what may be wrong, though the form is valid

    @property
    def topic_keys(self) -> list[str]:
        return [t.key for t in self.topics]

    @property
    def language_choices(self) -> tuple[str, ...]:
        """The language menu: ``languages``, else Goteo's own languages, the form's locale
        and every locale it has texts for."""
        if self.languages:
            return self.languages
        return tuple(dict.fromkeys((*form_texts.BUILT_IN_LANGUAGES, self.locale, *self.texts)))

    def texts_for(self, locale: str) -> dict[str, str]:
        """The form's own words for a locale (``de-at``: ``de-at``, then ``de``)."""
        return form_texts.supplied_for(self.texts, locale)

    def speaks(self, locale: str) -> bool:
        """Goteo or the form has words in this locale's language."""
        return form_texts.has_built_in(locale) or bool(self.texts_for(locale))


def consent_version(text: str) -> str:
    """The version of a consent text: its SHA-256, so the same words are the same version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Parser:
    def __init__(self, doc: yamlsource.Located) -> None:
        self.doc = doc
        self.problems = [Problem(line, path, message) for path, line, message in doc.problems]
        self.text_paths: dict[str, str] = {}  # texts.<locale> -> the path as written

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.doc.line(path), path, message))

    def text(self, data: dict[str, Any], key: str, *, required: bool = False, at: str = "") -> str:
        """The text under ``key`` of ``data`` (found at the path ``at``, "" for the top)."""
        value, path = data.get(key), f"{at}.{key}" if at else key
        if value is None:
            if required:
                self.fail(path, "is required")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"{value!r} must be non-empty text")
            return ""
        if len(value) > TEXT_MAX:
            self.fail(path, f"must be at most {TEXT_MAX} characters")
        return value.strip()

    def flag(self, data: dict[str, Any], key: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, f"{value!r} must be true or false")
            return default
        return value

    def parse(self) -> FormDefinition | None:
        data = self.doc.data
        if data is None and self.problems:
            return None
        if not isinstance(data, dict):
            self.fail("", "a form must be a mapping of keys (key, name, topics, consent…)")
            return None
        for key in data:
            if key not in TOP_KEYS:
                self.fail(key, f"unknown key (expected one of: {', '.join(TOP_KEYS)})")
        key = self.text(data, "key", required=True)
        if key and not SLUG.match(key):
            self.fail("key", f"{key!r} must be lowercase letters, digits, '-' or '_'")
        locale = data.get("locale", "en")
        if not isinstance(locale, str) or not LOCALE.match(normalize_locale(locale)):
            self.fail("locale", f"{locale!r} is not a locale (like en, es, fr-CA)")
            locale = "en"
        definition = FormDefinition(
            key=key,
            name=self.text(data, "name") or key,
            locale=normalize_locale(locale),
            fields=self._fields(data.get("fields", ["email"])),
            topics=self._topics(data.get("topics")),
            double_opt_in=self.flag(data, "double_opt_in", True),
            consent=self.text(data, "consent", required=True),
            consent_checkbox=self.flag(data, "consent_checkbox", False),
            redirect=self._redirect(data.get("redirect")),
            intro=self.text(data, "intro"),
            texts=self._texts(data.get("texts")),
            languages=self._languages(data.get("languages")),
            sms_consent=self.text(data, "sms_consent"),
            countries=self._countries(data.get("countries")),
        )
        if definition.sms_consent and "phone" not in definition.fields:
            self.fail("sms_consent", "asks for SMS consent, so fields must include phone")
        if (POSTAL in definition.fields) != bool(data.get("countries")):
            self.fail(
                "countries" if data.get("countries") else "fields",
                "a postal address needs the countries it may be in: give both fields: "
                "[…, postal_address] and countries: [ES, FR, …]",
            )
        if self.problems:
            return None
        return replace(definition, warnings=tuple(self._warnings(definition)))

    def _fields(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.fail("fields", f"must be a list of fields from: {', '.join(FIELDS)}")
            return ("email",)
        chosen = ["email"]
        for i, name in enumerate(value):
            if name not in FIELDS:
                self.fail(f"fields[{i}]", f"{name!r} is not a field (use {', '.join(FIELDS)})")
            elif name in chosen and name != "email":
                self.fail(f"fields[{i}]", f"{name!r} is listed twice")
            elif name != "email":
                chosen.append(name)
        return tuple(chosen)

    def _topics(self, value: Any) -> tuple[Topic, ...]:
        if not isinstance(value, list) or not value:
            self.fail("topics", "is required: a list of topics like [newsletter]")
            return ()
        topics: list[Topic] = []
        for i, item in enumerate(value):
            path = f"topics[{i}]"
            raw_key, label = item, None
            if isinstance(item, dict):
                for k in item:
                    if k not in ("key", "label"):
                        self.fail(f"{path}.{k}", "unknown key (expected key, label)")
                raw_key, label = item.get("key"), item.get("label")
                if label is not None and (not isinstance(label, str) or not label.strip()):
                    self.fail(f"{path}.label", f"{label!r} must be non-empty text")
                    label = None
            if not isinstance(raw_key, str) or not SLUG.match(raw_key):
                self.fail(path, f"{raw_key!r} must be a topic key: lowercase letters, digits, -, _")
            elif raw_key in (t.key for t in topics):
                self.fail(path, f"topic {raw_key!r} is listed twice")
            else:
                topics.append(Topic(raw_key, (label or raw_key).strip()))
        return tuple(topics)

    def _locale(self, path: str, value: Any) -> str | None:
        if not isinstance(value, str) or not LOCALE.match(normalize_locale(value)):
            self.fail(path, f"{value!r} is not a locale (like en, es, fr-CA)")
            return None
        return normalize_locale(value)

    def _texts(self, value: Any) -> dict[str, dict[str, str]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail("texts", "must map locales to texts, like {de: {submit: Anmelden}}")
            return {}
        found: dict[str, dict[str, str]] = {}
        for raw, words in value.items():
            locale = self._locale(f"texts.{raw}", raw)
            if locale is None:
                continue
            if locale in found:
                self.fail(f"texts.{raw}", f"locale {locale!r} is listed twice")
            elif not isinstance(words, dict) or not words:
                self.fail(f"texts.{raw}", "must map text keys to words, like {submit: Anmelden}")
            else:
                found[locale] = self._words(f"texts.{raw}", words)
                self.text_paths[f"texts.{locale}"] = f"texts.{raw}"
        return found

    def _words(self, path: str, words: dict[Any, Any]) -> dict[str, str]:
        chosen: dict[str, str] = {}
        for key in words:
            if key not in form_texts.TEXT_KEYS:
                self.fail(f"{path}.{key}", form_texts.unknown_key_message(key))
            elif text := self.text(words, key, at=path):
                chosen[key] = text
                for problem in form_texts.message_problems(key, text) if key in MESSAGE else ():
                    self.fail(f"{path}.{key}", problem)
        given = [key for key in MESSAGE if key in words]
        if len(given) == 1:
            missing = next(key for key in MESSAGE if key not in words)
            self.fail(f"{path}.{given[0]}", f"needs {missing} too: the email has both or neither")
        return chosen

    def _countries(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.fail("countries", "must be a list of country codes, like [ES, FR]")
            return ()
        chosen: list[str] = []
        for i, code in enumerate(value):
            known = isinstance(code, str) and country_parts(code) is not None
            if code is False:
                self.fail(f"countries[{i}]", 'YAML reads NO as false: write Norway as "NO"')
            elif not known:
                self.fail(f"countries[{i}]", f"{code!r} is not a country code (like PL, US, ES)")
            elif code.upper() in chosen:
                self.fail(f"countries[{i}]", f"{code!r} is listed twice")
            else:
                chosen.append(code.upper())
        return tuple(chosen)

    def _languages(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            self.fail("languages", "must be a list of locales, like [de, en, fr]")
            return ()
        chosen: list[str] = []
        for i, raw in enumerate(value):
            locale = self._locale(f"languages[{i}]", raw)
            if locale is not None and locale in chosen:
                self.fail(f"languages[{i}]", f"{locale!r} is listed twice")
            elif locale is not None:
                chosen.append(locale)
        return tuple(chosen)

    def _warnings(self, definition: FormDefinition) -> list[Problem]:
        def line(path: str) -> int | None:
            return self.doc.line(self.text_paths.get(path, path))

        return form_texts.text_warnings(definition, line)

    def _redirect(self, value: Any) -> str:
        if value is None:
            return ""
        url = http_url(value)
        if url is None:
            self.fail("redirect", f"{value!r} must be an http:// or https:// address")
            return ""
        return url


def parse_form(text: str) -> FormDefinition:
    """Parse and validate; raise FormInvalid naming every problem."""
    parser = _Parser(yamlsource.load(text))
    definition = parser.parse()
    if definition is None or parser.problems:
        raise FormInvalid(parser.problems or [Problem(None, "", "invalid form")])
    return definition


@lru_cache(maxsize=128)
def definition_of_source(source: str) -> FormDefinition:
    """A stored form's definition (its source was valid when applied), parsed once."""
    return parse_form(source)
