"""Render one campaign template for one contact: subject, inlined HTML and a text part.

The engine picks the locale (``goteo.engine.locales.resolve``); the renderer uses it, or the
campaign's default locale when the template has no variant for it. A missing value prints as
nothing; in a campaign with ``strict: true`` it raises ``RenderError`` instead (unless printed
through ``default``), so such a campaign never sends a message half-filled. A template that
cannot be rendered for another reason (a limit, CSS that cannot be inlined) raises too.
"""

from __future__ import annotations

import html as html_lib
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import css_inline
from liquid import BoundTemplate
from liquid.exceptions import LiquidError

from goteo.content.html_text import html_to_text, text_template_source, tidy
from goteo.content.liquid_env import environment_for
from goteo.engine.model import Campaign, TemplateVariant


class RenderError(Exception):
    """A template could not be rendered for this contact; the reason names the culprit."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class _Compiled:
    where: str  # "template 'welcome' (en)", for messages
    subject: BoundTemplate
    html: BoundTemplate
    text: BoundTemplate | None  # the variant's own text, or one derived from its HTML
    preheader: BoundTemplate | None
    text_derived: bool = False


_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_PREHEADER = (
    '<span style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;'
    'opacity:0;overflow:hidden;mso-hide:all">{}</span>'
)


def one_line(text: str) -> str:
    """Collapse every run of whitespace (newlines included) to one space."""
    return " ".join(text.split())


class Renderer:
    """Renders campaign templates; compiles each campaign's templates once and keeps them."""

    def __init__(self) -> None:
        # Remote stylesheets are never fetched: rendering does no network I/O.
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)
        self._cache: dict[int, dict[tuple[str, str], _Compiled]] = {}

    def render(
        self, campaign: Campaign, template_name: str, locale: str, context: Mapping[str, Any]
    ) -> Rendered:
        compiled = self._compiled(campaign, template_name, locale)
        subject = one_line(_run(compiled, "subject", compiled.subject, context))
        html = self._inline(compiled, _run(compiled, "html", compiled.html, context))
        if compiled.preheader is not None:
            preheader = one_line(_run(compiled, "preheader", compiled.preheader, context))
            html = _insert_preheader(html, preheader)
        if compiled.text is None:
            text = html_to_text(html)
        elif compiled.text_derived:
            text = tidy(_run(compiled, "text", compiled.text, context))
        else:
            text = _run(compiled, "text", compiled.text, context)
        return Rendered(subject=subject, html=html, text=text)

    def _inline(self, compiled: _Compiled, html: str) -> str:
        try:
            return self._inliner.inline(html)
        except css_inline.InlineError as exc:
            raise RenderError(f"{compiled.where} html: cannot inline its CSS: {exc}") from exc

    def _compiled(self, campaign: Campaign, name: str, locale: str) -> _Compiled:
        variants = self._cache.get(id(campaign))
        if variants is None:
            variants = self._cache[id(campaign)] = {}
            # Campaigns are immutable; forget the compiled templates when the campaign goes.
            weakref.finalize(campaign, self._cache.pop, id(campaign), None)
        found = variants.get((name, locale))
        if found is None:
            found = variants[(name, locale)] = _compile(campaign, name, locale)
        return found


def _compile(campaign: Campaign, name: str, locale: str) -> _Compiled:
    by_locale = campaign.templates.get(name)
    if by_locale is None:
        raise RenderError(f"campaign {campaign.key!r} has no template {name!r}")
    variant: TemplateVariant | None = by_locale.get(locale)
    if variant is None:
        locale = campaign.default_locale
        variant = by_locale.get(locale)
    if variant is None:
        raise RenderError(
            f"template {name!r} of campaign {campaign.key!r} has no variant for {locale!r}"
        )
    where = f"template {name!r} ({locale})"

    def parse(field: str, source: str | None) -> BoundTemplate | None:
        if source is None:
            return None
        try:
            env = environment_for(field, strict=campaign.strict)
            return env.from_string(source, name=f"{name}/{locale}/{field}")
        except LiquidError as exc:
            raise RenderError(f"{where} {field}: {_describe(exc)}") from exc

    subject, html = parse("subject", variant.subject), parse("html", variant.html)
    assert subject is not None and html is not None
    text, derived = parse("text", variant.text), False
    if text is None:
        text, derived = _derive_text(variant.html, name, locale, campaign.strict), True
    return _Compiled(
        where=where,
        subject=subject,
        html=html,
        text=text,
        preheader=parse("preheader", variant.preheader),
        text_derived=derived,
    )


def _derive_text(html_source: str, name: str, locale: str, strict: bool) -> BoundTemplate | None:
    """A text template made once from the HTML template, so no message converts its own HTML.

    Liquid markup is plain text to the HTML-to-text converter, so it survives the conversion
    (``<a href="{{ url }}">x</a>`` becomes ``x ({{ url }})``). If the result does not parse,
    None: each message's HTML is then converted instead.
    """
    try:
        source = text_template_source(html_source)
        env = environment_for("text", strict=strict)
        return env.from_string(source, name=f"{name}/{locale}/text")
    except LiquidError:
        return None


STRICT_HINT = ' (the campaign is strict: print it through a default, like {{ … | default: "…" }})'


def _run(
    compiled: _Compiled, field: str, template: BoundTemplate, context: Mapping[str, Any]
) -> str:
    try:
        return template.render(**context)
    except LiquidError as exc:
        hint = ""
        if "is undefined" in str(exc.message):
            hint = STRICT_HINT
        raise RenderError(f"{compiled.where} {field}: {_describe(exc)}{hint}") from exc


def _describe(exc: LiquidError) -> str:
    where = exc.context()
    return f"line {where[0]}: {exc.message}" if where else str(exc.message)


def _insert_preheader(html: str, preheader: str) -> str:
    span = _PREHEADER.format(html_lib.escape(preheader, quote=False))
    match = _BODY_OPEN.search(html)
    if match is None:
        return span + html
    return html[: match.end()] + span + html[match.end() :]
