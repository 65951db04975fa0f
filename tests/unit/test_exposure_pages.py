"""``exposure_pages``: parsed with the campaign, refused with the line, matched on page views."""

from __future__ import annotations

import pytest

from goteo.engine.exposure_pages import is_exposure_page
from goteo.engine.parser import parse_campaign
from goteo.engine.problems import CampaignInvalid

BASE = """key: shop
steps: [{send: email, template: t}]
templates: {t: {en: {subject: s, html: "<p>x</p>"}}}
"""


def test_pages_are_parsed_and_matched_on_page_view_properties() -> None:
    pages = "exposure_pages: [{url: {contains: /product}}, {section: shoes}]\n"
    campaign = parse_campaign(BASE + pages)
    found = campaign.exposure_pages
    assert is_exposure_page(found, {"url": "https://shop.example.com/product/1"})
    assert is_exposure_page(found, {"url": "/", "section": "shoes"})
    assert not is_exposure_page(found, {"url": "https://shop.example.com/about"})
    assert parse_campaign(BASE).exposure_pages == ()


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ("exposure_pages: []", "line 4: exposure_pages: must be a non-empty list of page filters"),
        (
            "exposure_pages: [{url: {containz: /p}}]",
            "line 4: exposure_pages[0].url.containz: unknown operator 'containz'"
            " (did you mean contains?",
        ),
        ("exposure_pages: [/product]", "line 4: exposure_pages[0]: must be a mapping"),
    ],
)
def test_bad_pages_are_refused_with_their_line(pages: str, message: str) -> None:
    with pytest.raises(CampaignInvalid) as refused:
        parse_campaign(BASE + pages + "\n")
    assert message in str(refused.value)
