"""The text part of a message, derived from its HTML.

The conversion (inscriptis) follows the browser's defaults, not a text-mining profile: a
``<div>`` adds no indentation, so paragraphs start at the left margin however the HTML
source is indented; list items are indented two spaces under the text and start with a
bullet (``*``) or a number. Links read as "label (https://…)".

A derived text template is made from the HTML *source*, with its Liquid markup, once per
campaign version. A line holding only Liquid tags (``{% for %}``, ``{% endif %}``) is
removed from the text together with its newline, as ``trim_blocks``/``lstrip_blocks`` do
in Jinja, so loops print one aligned line per item. Every text is then tidied: no
trailing spaces, no whitespace-only lines, at most one blank line in a row.
"""

from __future__ import annotations

import re

from inscriptis import get_text
from inscriptis.css_profiles import STRICT_CSS_PROFILE
from inscriptis.model.config import ParserConfig
from inscriptis.model.html_document_state import HtmlDocumentState
from inscriptis.model.tag import CustomHtmlTagHandlerMapping

_SPACES = " \t\u00a0"  # what a line may not end with
_BLANK_LINES = re.compile(r"\n{3,}")
# A line holding nothing but one or more Liquid tags (not outputs).
_TAG_LINE = re.compile(r"^[ \t]*((?:\{%.*?%\}[ \t]*)+)(?:\n|\Z)", re.MULTILINE)


def _link_start(state: HtmlDocumentState, attrs: dict[str, str]) -> None:
    href = (attrs.get("href") or "").strip()
    state.link_target = "" if href.startswith("#") else href


def _link_end(state: HtmlDocumentState) -> None:
    if state.link_target:
        state.tags[-1].write(f" ({state.link_target})")


_CONFIG = ParserConfig(
    css=STRICT_CSS_PROFILE,
    display_links=True,
    custom_html_tag_handler_mapping=CustomHtmlTagHandlerMapping(
        start_tag_mapping={"a": _link_start}, end_tag_mapping={"a": _link_end}
    ),
)


def html_to_text(html: str) -> str:
    """The text of one rendered HTML part, tidied, ending with one newline."""
    return tidy(get_text(html, _CONFIG))


def text_template_source(html_source: str) -> str:
    """A Liquid text template made from a Liquid HTML template (tidied once rendered)."""
    return _TAG_LINE.sub(lambda match: match.group(1).strip(), get_text(html_source, _CONFIG))


def tidy(text: str) -> str:
    """No trailing spaces, no whitespace-only lines, no more than one blank line in a row."""
    text = "\n".join([line.rstrip(_SPACES) for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip() + "\n"
