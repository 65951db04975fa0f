"""Mailers: the right glyphs for Polish and Russian, the address inside the envelope window."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from tests.pdf_layout import Line, page_sizes, text_lines

from goteo.channels.direct_mail.formats import FORMATS, page_format
from goteo.channels.direct_mail.qr import personal_url
from goteo.channels.direct_mail.render import MailerTemplate, render_mailer
from goteo.contacts.postal import PostalAddress, check_postal
from goteo.content.render import RenderError

SECRET = "test-secret"
TEMPLATE = MailerTemplate(
    html="<h1>{{ greeting }}, {{ contact.first_name }}!</h1><p>{{ line }}</p>",
    front="<h1>{{ greeting }}</h1>",
    where="template 'letter' (pl)",
)
POLISH = {
    "name": "Zofia Wójcik",
    "lines": ["ul. Świętokrzyska 12 m. 4"],
    "city": "Łódź",
    "postal_code": "90-001",
    "country": "PL",
}
RUSSIAN = {
    "name": "Анна Смирнова",
    "lines": ["ул. Тверская, д. 7, кв. 12"],
    "city": "Москва",
    "region": "Москва",
    "postal_code": "125009",
    "country": "RU",
}
TEXTS = {
    "pl": {"greeting": "Cześć", "line": "Zażółć gęślą jaźń: żółw, źdźbło, łąka."},
    "ru": {"greeting": "Здравствуйте", "line": "Съешь же ещё этих мягких французских булок."},
}


def _address(data: Mapping[str, object]) -> PostalAddress:
    address, errors = check_postal(data)
    assert address is not None, errors
    return address


def _render(fmt: str, data: Mapping[str, object], lang: str) -> list[Line]:
    first = str(data["name"]).split()[0]
    mailer = render_mailer(
        TEMPLATE,
        {"contact": {"first_name": first}, **TEXTS[lang]},
        delivery_id=41,
        fmt=page_format(fmt),
        address=_address(data),
        sender="Goteo · Calle Mayor 1 · 28013 Madrid · ES",
        url=personal_url("https://go.example.com", SECRET, 41),
        lang=lang,
    )
    assert mailer.pdf.startswith(b"%PDF-")
    return text_lines(mailer.pdf)


def _inside(line: Line, fmt: str) -> bool:
    box, eps = FORMATS[fmt].address, 0.01  # mm: rounding in the PDF's coordinates
    return (
        box.x - eps <= line.left
        and line.right <= box.x + box.width + eps
        and box.y + FORMATS[fmt].return_line - eps <= line.top
        and line.bottom <= box.y + box.height + eps
    )


@pytest.mark.parametrize(("data", "lang"), [(POLISH, "pl"), (RUSSIAN, "ru")])
@pytest.mark.parametrize("fmt", ["a4", "letter"])
def test_letter_glyphs_and_window(fmt: str, data: Mapping[str, object], lang: str) -> None:
    lines = _render(fmt, data, lang)
    text = "\n".join(line.text for line in lines)
    # The body in the contact's language, every letter extracted back as itself.
    assert TEXTS[lang]["line"] in text
    assert f"{TEXTS[lang]['greeting']}, {str(data['name']).split()[0]}!" in text
    for part in _address(data).formatted():
        [line] = [line for line in lines if line.text == part]
        assert _inside(line, fmt), (part, line)
    body = next(line for line in lines if line.text == TEXTS[lang]["line"])
    assert not _inside(body, fmt)  # the letter's text starts below the window


@pytest.mark.parametrize("fmt", ["postcard-4x6", "postcard-6x9", "postcard-a6"])
def test_postcard_address_on_the_back(fmt: str) -> None:
    lines = _render(fmt, POLISH, "pl")
    assert any(line.page == 0 and line.text == "Cześć" for line in lines)  # the picture side
    for part in _address(POLISH).formatted():
        [line] = [line for line in lines if line.text == part]
        assert line.page == 1 and _inside(line, fmt), (part, line)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_page_size_and_bleed(fmt: str) -> None:
    spec = FORMATS[fmt]
    mailer = render_mailer(
        TEMPLATE,
        {"contact": {"first_name": "Ana"}, **TEXTS["pl"]},
        delivery_id=7,
        fmt=spec,
        address=_address(POLISH),
        sender="Goteo",
        url="https://go.example.com/m/x",
    )
    for trim_w, trim_h, media_w, media_h in page_sizes(mailer.pdf):
        assert trim_w == pytest.approx(spec.width, abs=0.1)
        assert trim_h == pytest.approx(spec.height, abs=0.1)
        assert media_w == pytest.approx(spec.width + 2 * spec.bleed, abs=0.1)
        assert media_h == pytest.approx(spec.height + 2 * spec.bleed, abs=0.1)


def test_personal_url_is_printed() -> None:
    url = personal_url("https://go.example.com", SECRET, 41)
    text = "".join(line.text for line in _render("a4", POLISH, "pl"))
    assert url.removeprefix("https://") in text


@pytest.mark.parametrize(
    ("template", "context", "message"),
    [
        (TEMPLATE, {"contact": {}}, r"template 'letter' \(pl\) html"),
        (
            MailerTemplate(html='<img src="http://127.0.0.1:9/logo.png">'),
            {},
            r"nothing from outside.*127\.0\.0\.1",
        ),
    ],
)
def test_render_errors_say_why(
    template: MailerTemplate, context: dict[str, object], message: str
) -> None:
    with pytest.raises(RenderError, match=message):
        render_mailer(
            template,
            context,
            delivery_id=1,
            fmt=page_format("a4"),
            address=_address(POLISH),
            sender="Goteo",
            url="https://go.example.com/m/x",
        )


def test_unknown_format_is_named() -> None:
    with pytest.raises(ValueError, match="'a3' is not a mailer format"):
        page_format("a3")
