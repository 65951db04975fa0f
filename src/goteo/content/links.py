"""Link rewriting for click tracking, and the open pixel. Pure: strings in, strings out.

Every ``http``/``https`` link of a message (the ``href`` of ``<a>`` and ``<area>`` in the HTML
part, bare URLs in the text part) is replaced by the tracking address of its index, and the
original URLs are returned in index order: the message's link list, which the redirect reads
back. The same URL in both parts (or twice) shares one index. Links the caller wants kept as
they are (the unsubscribe and preference links) and anything that is not http(s) (``mailto:``,
``tel:``, ``#anchors``, relative links) are left alone.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

MAX_LINKS = 500  # links past this many in one message are left untracked
MAX_URL_LENGTH = 2000

_A_TAG = re.compile(r"<(?:a|area)\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(
    r"""(?<![\w:-])(href\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE
)
_TEXT_URL = re.compile(r"""https?://[^\s<>"'`]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_PIXEL = (
    '<img src="{}" width="1" height="1" alt="" '
    'style="display:block;border:0;width:1px;height:1px;overflow:hidden">'
)


@dataclass(frozen=True)
class TrackedLinks:
    html: str
    text: str
    links: tuple[str, ...]  # the original URLs; a tracking address names an index here


@lru_cache(maxsize=4096)  # a template's links come back in every message it makes
def trackable(url: str) -> bool:
    """An absolute http(s) URL without spaces or control characters, of sensible length."""
    if len(url) > MAX_URL_LENGTH or _UNSAFE.search(url) is not None:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def track_links(
    html: str, text: str, *, tracking_url: Callable[[int], str], keep: Callable[[str], bool]
) -> TrackedLinks:
    """Rewrite the links of both parts; ``keep(url)`` true leaves that URL untouched."""
    links: list[str] = []
    index_of: dict[str, int] = {}

    def replacement(url: str) -> str | None:
        if not trackable(url) or keep(url):
            return None
        if url not in index_of:
            if len(links) >= MAX_LINKS:
                return None
            index_of[url] = len(links)
            links.append(url)
        return tracking_url(index_of[url])

    new_html = _A_TAG.sub(lambda tag: _rewrite_tag(tag.group(0), replacement), html)
    new_text = _rewrite_text(text, replacement)
    return TrackedLinks(new_html, new_text, tuple(links))


def _rewrite_tag(tag: str, replacement: Callable[[str], str | None]) -> str:
    match = _HREF.search(tag)
    if match is None:
        return tag
    raw = next(g for g in match.groups()[1:] if g is not None)
    new = replacement(html_lib.unescape(raw).strip())
    if new is None:
        return tag
    return f'{tag[: match.start()]}{match.group(1)}"{html_lib.escape(new)}"{tag[match.end() :]}'


def _rewrite_text(text: str, replacement: Callable[[str], str | None]) -> str:
    def one(match: re.Match[str]) -> str:
        found = match.group(0)
        url = found.rstrip(_TRAILING)
        tail = found[len(url) :]
        new = replacement(url)
        return found if new is None else new + tail

    return _TEXT_URL.sub(one, text)


def add_pixel(html: str, pixel_url: str) -> str:
    """The 1x1 open pixel, just before ``</body>`` (or at the end of a fragment)."""
    image = _PIXEL.format(html_lib.escape(pixel_url))
    end = html.lower().rfind("</body>")
    if end < 0:
        return html + image
    return html[:end] + image + html[end:]
