"""Link rewriting for click tracking, and the open pixel."""

from __future__ import annotations

from goteo.content.links import MAX_LINKS, add_pixel, track_links, trackable

BASE = "https://goteo.example.com"


def tracking_url(index: int) -> str:
    return f"{BASE}/l/T{index}"


def keep(url: str) -> bool:
    return url.startswith((f"{BASE}/u/", f"{BASE}/p/"))


def rewrite(html: str, text: str = "") -> tuple[str, str, tuple[str, ...]]:
    tracked = track_links(html, text, tracking_url=tracking_url, keep=keep)
    return tracked.html, tracked.text, tracked.links


def test_http_and_https_links_are_rewritten_in_order() -> None:
    html, _, links = rewrite(
        '<p><a href="https://shop.example/a">A</a> <a class="x" href=\'http://shop.example/b\'>B'
        "</a> <A HREF=https://shop.example/c>C</A></p>"
    )
    assert links == ("https://shop.example/a", "http://shop.example/b", "https://shop.example/c")
    assert html == (
        f'<p><a href="{BASE}/l/T0">A</a> <a class="x" href="{BASE}/l/T1">B</a>'
        f' <A HREF="{BASE}/l/T2">C</A></p>'
    )


def test_entities_are_read_and_the_original_url_is_stored() -> None:
    html, _, links = rewrite('<a href="https://shop.example/?a=1&amp;b=2">x</a>')
    assert links == ("https://shop.example/?a=1&b=2",)
    assert html == f'<a href="{BASE}/l/T0">x</a>'


def test_the_same_url_shares_one_index_across_both_parts() -> None:
    html, text, links = rewrite(
        '<a href="https://shop.example/a">1</a><a href="https://shop.example/a">2</a>',
        "Shop: https://shop.example/a and https://shop.example/b.",
    )
    assert links == ("https://shop.example/a", "https://shop.example/b")
    assert html.count(f"{BASE}/l/T0") == 2
    assert text == f"Shop: {BASE}/l/T0 and {BASE}/l/T1."


def test_unsubscribe_preferences_mailto_tel_and_anchors_are_kept() -> None:
    source = (
        f'<a href="{BASE}/u/abc:def">Unsubscribe</a><a href="{BASE}/p/xyz">Preferences</a>'
        '<a href="mailto:hi@example.com">Mail</a><a href="tel:+3412345">Call</a>'
        '<a href="#top">Top</a><a href="/relative">Rel</a><a name="x">No href</a>'
        '<a href="javascript:alert(1)">JS</a><a href="ftp://files.example/x">FTP</a>'
    )
    text = f"Unsubscribe: {BASE}/u/abc:def\nmailto:hi@example.com"
    html, new_text, links = rewrite(source, text)
    assert (html, new_text, links) == (source, text, ())


def test_attributes_that_only_end_in_href_are_not_links() -> None:
    source = '<a data-href="https://shop.example/a" href="https://shop.example/b">x</a>'
    html, _, links = rewrite(source)
    assert links == ("https://shop.example/b",)
    assert html == f'<a data-href="https://shop.example/a" href="{BASE}/l/T0">x</a>'


def test_images_and_other_tags_are_left_alone() -> None:
    source = '<img src="https://cdn.example/logo.png"><link href="https://cdn.example/x.css">'
    assert rewrite(source) == (source, "", ())


def test_text_urls_lose_trailing_punctuation_to_the_sentence() -> None:
    _, text, links = rewrite("", "See (https://shop.example/a), or https://shop.example/b!")
    assert links == ("https://shop.example/a", "https://shop.example/b")
    assert text == f"See ({BASE}/l/T0), or {BASE}/l/T1!"


def test_urls_with_spaces_or_without_a_host_are_not_tracked() -> None:
    assert not trackable("https://")
    assert not trackable("https:///path")
    assert not trackable("https://shop.example/a b")
    assert not trackable("https://shop.example/\nx")
    assert not trackable("https://shop.example/" + "a" * 3000)
    assert trackable("HTTPS://Shop.Example/Path?q=1#frag")


def test_links_past_the_limit_stay_untracked() -> None:
    anchors = "".join(f'<a href="https://shop.example/{i}">{i}</a>' for i in range(MAX_LINKS + 3))
    html, _, links = rewrite(anchors)
    assert len(links) == MAX_LINKS
    assert f'href="https://shop.example/{MAX_LINKS}"' in html
    assert f'href="https://shop.example/{MAX_LINKS - 1}"' not in html


def test_the_pixel_goes_before_the_body_ends() -> None:
    html = add_pixel("<html><body><p>Hi</p></body></html>", f"{BASE}/o/tok&en")
    assert html.startswith("<html><body><p>Hi</p><img ")
    assert f'src="{BASE}/o/tok&amp;en" width="1" height="1"' in html
    assert html.endswith("</body></html>")
    assert add_pixel("<p>Hi</p>", f"{BASE}/o/t").startswith("<p>Hi</p><img ")
