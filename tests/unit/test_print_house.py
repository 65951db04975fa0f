"""The print-house export: the merged PDF and the manifest agree; nothing is printed twice; a
mailer's first page is found, in the spool or its batch, and shown as an image."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from pathlib import Path

import pypdf
import pytest
from PIL import Image
from tests.pdf_layout import text_lines

from goteo.channels.base import Delivered
from goteo.channels.direct_mail.factory import mail_provider
from goteo.channels.direct_mail.formats import page_format
from goteo.channels.direct_mail.lob import LobChannel
from goteo.channels.direct_mail.preview import WIDTH, page_png
from goteo.channels.direct_mail.print_house import MANIFEST, MERGED, PrintHouse, batch_id_of
from goteo.channels.direct_mail.render import Mailer, MailerTemplate, render_mailer
from goteo.contacts.postal import check_postal

PEOPLE = [
    (11, "a4", {"name": "Zofia Wójcik", "lines": ["ul. Długa 5"], "city": "Gdańsk",
                "postal_code": "80-827", "country": "PL"}),
    (12, "postcard-a6", {"name": "Анна Смирнова", "lines": ["ул. Тверская, д. 7"],
                         "city": "Москва", "region": "Москва", "postal_code": "125009",
                         "country": "RU"}),
    (13, "letter", {"name": "Ann Lee", "lines": ["1600 Amphitheatre Pkwy"],
                    "city": "Mountain View", "region": "CA", "postal_code": "94043",
                    "country": "US"}),
]  # fmt: skip


def _mailer(delivery_id: int, fmt: str, data: Mapping[str, object]) -> Mailer:
    address, errors = check_postal(data)
    assert address is not None, errors
    return render_mailer(
        MailerTemplate(html="<p>Hello {{ contact.first_name }}</p>", front="<h1>Goteo</h1>"),
        {"contact": {"first_name": str(data["name"]).split()[0]}},
        delivery_id=delivery_id,
        fmt=page_format(fmt),
        address=address,
        sender="Goteo",
        url=f"https://go.example.com/m/{delivery_id}",
    )


def _manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / MANIFEST).open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_batch_and_manifest_agree(tmp_path: Path) -> None:
    house = PrintHouse(tmp_path)
    mailers = [_mailer(*person) for person in PEOPLE]
    for mailer in [*mailers, mailers[0]]:  # the first one retried: still one letter
        assert isinstance(house.deliver(mailer), Delivered)
    batch = house.export()
    assert batch is not None and batch.created
    assert batch.batch_id == batch_id_of([13, 12, 11])
    rows = _manifest(batch.folder)
    assert [int(r["delivery_id"]) for r in rows] == [11, 12, 13]
    merged = (batch.folder / MERGED).read_bytes()
    lines = text_lines(merged)
    assert len(pypdf.PdfReader(io.BytesIO(merged)).pages) == batch.pages == 1 + 2 + 1
    expected_page = 1
    for row, mailer in zip(rows, mailers, strict=True):
        assert int(row["first_page"]) == expected_page
        assert int(row["pages"]) == len(pypdf.PdfReader(io.BytesIO(mailer.pdf)).pages)
        assert row["sha256"] == hashlib.sha256(mailer.pdf).hexdigest()
        assert (row["name"], row["city"], row["country"]) == (
            mailer.address.name,
            mailer.address.city,
            mailer.address.country,
        )
        # The recipient's name is printed on that mailer's own pages of the merged PDF.
        own = range(expected_page - 1, expected_page - 1 + int(row["pages"]))
        assert any(line.page in own and line.text == row["name"] for line in lines), row
        expected_page += int(row["pages"])
    assert list(house.spool.iterdir()) == []


def test_nothing_is_exported_twice(tmp_path: Path) -> None:
    house = PrintHouse(tmp_path)
    first = _mailer(*PEOPLE[0])
    house.deliver(first)
    batch = house.export()
    assert batch is not None
    assert house.export() is None  # nothing new
    house.deliver(first)  # a retry after the batch went out: not printed again
    house.deliver(second := _mailer(*PEOPLE[1]))
    later = house.export()
    assert later is not None and later.delivery_ids == (second.delivery_id,)
    assert sorted(p.name for p in house.batches.iterdir()) == sorted(
        [batch.batch_id, later.batch_id]
    )


def test_crash_after_the_batch_before_the_spool_is_cleared(tmp_path: Path) -> None:
    house = PrintHouse(tmp_path)
    mailer = _mailer(*PEOPLE[2])
    house.deliver(mailer)
    batch = house._write_batch(house.spooled())  # the batch is written, then the crash
    assert batch.created and len(house.spooled()) == 1
    again = house._write_batch(house.spooled())  # the same mailers name the same batch
    assert again.batch_id == batch.batch_id and not again.created
    assert house.export() is None  # the restarted export sees them in the batch
    assert house.spooled() == [] and len(list(house.batches.iterdir())) == 1
    assert len(_manifest(batch.folder)) == 1


def test_provider_from_url(tmp_path: Path) -> None:
    sender, _ = check_postal(PEOPLE[0][2])
    assert sender is not None
    house = mail_provider(f"folder:{tmp_path}", secret="s", sender=sender)
    assert isinstance(house, PrintHouse) and house.folder == tmp_path
    api = mail_provider("lob+http://k%3Ay@127.0.0.1:8025/x", secret="s", sender=sender)
    assert isinstance(api, LobChannel)
    assert (api.scheme, api.host, api.port, api.prefix, api.api_key) == (
        "http", "127.0.0.1", 8025, "/x", "k:y"
    )  # fmt: skip
    secure = mail_provider("lob://key@api.example.com", secret="s", sender=sender)
    assert isinstance(secure, LobChannel) and secure.scheme == "https"
    for bad, message in [("lob://api.example.com", "API key"), ("ftp://x", "not a print"),
                         ("folder:", "needs a path")]:  # fmt: skip
        with pytest.raises(ValueError, match=f"GOTEO_MAIL_URL: .*{message}"):
            mail_provider(bad, secret="s", sender=sender)


def _png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every pixel: a truncated or corrupt PNG raises here
    assert image.format == "PNG"
    return image


def test_a_mailers_first_page_is_found_and_rasterised_at_its_trim_size(tmp_path: Path) -> None:
    house = PrintHouse(tmp_path)
    postcard, letter = _mailer(*PEOPLE[1]), _mailer(*PEOPLE[2])
    for mailer in (postcard, letter):
        house.deliver(mailer)
    assert house.first_page(12) == (house.spool / "12.pdf", 0)
    assert house.first_page(99) is None
    front = _png(page_png(*house.first_page(12) or (tmp_path, 0)))
    # An A6 postcard is 148 x 105 mm once cut: no bleed, no crop marks in the picture (with
    # them it would be 154 x 111 mm, some 20 pixels more each way). PDFium rounds down.
    assert abs(front.width - WIDTH) <= 2 and abs(front.height - WIDTH * 105 / 148) <= 2
    darkest = front.convert("L").getextrema()[0]  # the front's heading is printed dark:
    assert isinstance(darkest, int) and darkest < 100  # not a blank picture

    batch = house.export()
    assert batch is not None
    rows = {int(r["delivery_id"]): int(r["first_page"]) for r in _manifest(batch.folder)}
    assert house.first_page(13) == (batch.folder / MERGED, rows[13] - 1)
    page = _png(page_png(*house.first_page(13) or (tmp_path, 0)))
    assert abs(page.height - WIDTH * 11 / 8.5) <= 2  # the letter's page, not the postcard's


def test_a_preview_of_what_is_not_a_pdf_page_says_so(tmp_path: Path) -> None:
    (junk := tmp_path / "junk.pdf").write_bytes(b"%PDF-1.7 not really")
    with pytest.raises(ValueError, match="not a readable PDF"):
        page_png(junk, 0)
    PrintHouse(tmp_path).deliver(_mailer(*PEOPLE[0]))
    with pytest.raises(ValueError, match="has no page 2"):
        page_png(tmp_path / "spool" / "11.pdf", 1)
