"""Mailer rendering: Goteo's whole render path against WeasyPrint alone, in the same run.

    python -m benchmarks.mailer_render [--pairs 100] [--count 1000] [--format a4]

(a) the raw limit: WeasyPrint rendering the finished HTML of a mailer to PDF, nothing else
(no URL fetcher, one font configuration reused);
(b) Goteo: the whole path for the same mailer: checking the address, the Liquid template in
the contact's language, the address block, the QR code and the personal URL, then the PDF.
The two are interleaved, one pair per contact, so a busy machine slows both alike; the
ratio b/a is the figure (goal: at least 0.8). Then ``--count`` mailers go through the whole
path and the resident memory is read every tenth of the way: it should stay flat.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
from typing import Any

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from goteo.channels.direct_mail.formats import page_format
from goteo.channels.direct_mail.qr import personal_url
from goteo.channels.direct_mail.render import MailerTemplate, render_mailer
from goteo.contacts.postal import check_postal

TEMPLATE = MailerTemplate(
    html=(
        "<h1>{{ greeting }}, {{ contact.first_name | default: friend }}!</h1>"
        "<p>{{ body }}</p><p>{{ body }}</p>"
        "<p><strong>{{ offer }}</strong> {{ mail.url }}</p>"
    )
)
PEOPLE = [
    ({"greeting": "Cześć", "friend": "przyjacielu", "offer": "Rabat 10%",
      "body": "Zażółć gęślą jaźń. Kropla drąży skałę: regularne wiadomości budują zaufanie."},
     {"name": "Zofia Wójcik", "lines": ["ul. Długa 5"], "city": "Gdańsk",
      "postal_code": "80-827", "country": "PL"}),
    ({"greeting": "Здравствуйте", "friend": "друг", "offer": "Скидка 10%",
      "body": "Капля камень точит: регулярные письма создают доверие у покупателя."},
     {"name": "Анна Смирнова", "lines": ["ул. Тверская, д. 7"], "city": "Москва",
      "region": "Москва", "postal_code": "125009", "country": "RU"}),
]  # fmt: skip


def one(index: int, fmt: str) -> Any:
    """The whole path for mailer ``index``, from raw address data to the PDF."""
    texts, raw = PEOPLE[index % len(PEOPLE)]
    address, errors = check_postal(raw)
    assert address is not None, errors
    return render_mailer(
        TEMPLATE,
        {"contact": {"first_name": raw["name"].split()[0]}, **texts},
        delivery_id=index + 1,
        fmt=page_format(fmt),
        address=address,
        sender="Goteo · Calle Mayor 1 · 28013 Madrid · ES",
        url=personal_url("https://go.example.com", "bench-secret", index + 1),
    )


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--format", default="a4")
    args = parser.parse_args()
    fonts = FontConfiguration()  # the bare renders reuse theirs too, as Goteo does
    weasyprint.HTML(string=one(0, args.format).html).write_pdf(font_config=fonts)  # warm up
    whole = bare = 0.0
    for index in range(args.pairs):
        start = time.perf_counter()
        mailer = one(index, args.format)
        middle = time.perf_counter()
        weasyprint.HTML(string=mailer.html).write_pdf(font_config=fonts)
        whole += middle - start
        bare += time.perf_counter() - middle
    rates = {"bare_per_s": args.pairs / bare, "goteo_per_s": args.pairs / whole}
    marks = []
    start = time.perf_counter()
    for index in range(args.count):
        one(index, args.format)
        if (index + 1) % max(args.count // 10, 1) == 0:
            gc.collect()
            marks.append((index + 1, round(rss_mb(), 1)))
    result = {
        **{k: round(v, 2) for k, v in rates.items()},
        "ratio": round(rates["goteo_per_s"] / rates["bare_per_s"], 3),
        "batch": args.count,
        "batch_per_s": round(args.count / (time.perf_counter() - start), 2),
        "peak_rss_mb_by_mailers": marks,
        "format": args.format,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
