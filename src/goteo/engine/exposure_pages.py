"""``exposure_pages``: the product pages whose tracked visits count as exposures to a campaign.

```yaml
exposure_pages:
  - {url: {contains: /product}}
  - {url: {starts_with: "https://shop.example.com/p/"}, section: shoes}
```

Each item is a ``where`` over the properties of a ``page_view`` event (the tracking snippet's
``url``, ``title``, ``referrer`` or anything sent with it); a visit matching any item, by a
contact with an active journey in the campaign, is one exposure (docs/measurement.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from goteo.engine.condition_model import PropertyFilter
from goteo.engine.conditions import matches_where, parse_where
from goteo.engine.yamlsource import join

PAGE_VIEW = "page_view"
MAX_PAGES = 50


def parse_exposure_pages(
    value: Any, path: str = "exposure_pages"
) -> tuple[tuple[PropertyFilter, ...], list[tuple[str, str]]]:
    """The filters, or every problem as ``(path, message)``."""
    if not isinstance(value, list) or not value:
        example = "[{url: {contains: /product}}]"
        return (), [(path, f"must be a non-empty list of page filters, like {example}")]
    if len(value) > MAX_PAGES:
        return (), [(path, f"at most {MAX_PAGES} page filters")]
    problems: list[tuple[str, str]] = []
    found: list[PropertyFilter] = []
    for i, item in enumerate(value):
        where, wrong = parse_where(item, join(path, i))
        problems += wrong
        if where is not None:
            found.append(where)
    return (() if problems else tuple(found)), problems


def is_exposure_page(pages: Sequence[PropertyFilter], properties: Mapping[str, Any]) -> bool:
    """Does a page view with these properties match any of the campaign's pages?"""
    return any(matches_where(page, properties) for page in pages)
