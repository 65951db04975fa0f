"""The footer every marketing message needs: an unsubscribe link and the sender's postal address.

A template that already shows both (``{{ unsubscribe_url }}`` and ``{{ postal_address }}``)
gets nothing. Otherwise a small footer in the message's language carries what that part lacks:
into the HTML part just before ``</body>`` (or at its end) and at the end of the text part.
"""

from __future__ import annotations

import html as html_lib

from goteo.engine.locales import candidates

# locale -> (the question before the link, the link's label)
_WORDING = {
    "en": ("Don't want these emails any more?", "Unsubscribe"),
    "es": ("¿Ya no quieres recibir estos correos?", "Date de baja"),
    "fr": ("Vous ne souhaitez plus recevoir ces e-mails\u00a0?", "Se désabonner"),
    "it": ("Non vuoi più ricevere queste email?", "Annulla l’iscrizione"),
    "pl": ("Nie chcesz już otrzymywać tych wiadomości?", "Wypisz się"),
    "ru": ("Не хотите больше получать эти письма?", "Отписаться"),
}
FALLBACK = "en"
# Before the link in the text part; French puts a (no-break) space before the colon.
_COLON = {"fr": "\u00a0: "}
_BOX = (
    '<div lang="{lang}" style="margin:24px 0 0;padding:12px 0 0;border-top:1px solid #dddddd;'
    'font-family:sans-serif;font-size:12px;line-height:1.5;color:#666666">{lines}</div>'
)
_LINE = '<p style="margin:0">{}</p>'


def footer_locale(locale: str) -> str:
    """The footer's language: ``fr-ca`` -> ``fr``; English for a language it lacks."""
    return next(c for c in candidates(locale, FALLBACK) if c in _WORDING or c == FALLBACK)


def add_footer(
    html: str, text: str, *, unsubscribe_url: str, postal_address: str, locale: str
) -> tuple[str, str]:
    """``(html, text)``, each with a footer holding what it does not already show."""
    lang = footer_locale(locale)
    address = postal_address.strip()
    url, where = unsubscribe_url, " ".join(address.split())
    html_needs = (
        _unless(_html_shows(html, url), url),
        _unless(_html_shows(html, address), address),
    )
    if any(html_needs):
        html = append_html(html, _html_footer(lang, *html_needs))
    text_needs = (_unless(url in text, url), _unless(where in " ".join(text.split()), address))
    if any(text_needs):
        text = f"{text.rstrip()}\n\n{_text_footer(lang, *text_needs)}"
    return html, text


def _unless(shown: bool, value: str) -> str:
    """``value`` when the part does not show it yet; "" when it does (or there is none)."""
    return "" if shown else value


def _html_shows(html: str, value: str) -> bool:
    escaped = (html_lib.escape(value), html_lib.escape(value, quote=False))
    return value in html or any(e in html for e in escaped)


def _html_footer(lang: str, url: str, address: str) -> str:
    question, label = _WORDING[lang]
    lines = []
    if address:
        lines.append(_LINE.format(html_lib.escape(address)))
    if url:
        link = (
            f'<a href="{html_lib.escape(url)}" style="color:#666666">{html_lib.escape(label)}</a>'
        )
        lines.append(_LINE.format(f"{html_lib.escape(question)} {link}"))
    return _BOX.format(lang=lang, lines="".join(lines))


def _text_footer(lang: str, url: str, address: str) -> str:
    question, label = _WORDING[lang]
    lines = ["-- "]  # the conventional signature separator
    if address:
        lines.append(address)
    if url:
        lines += [question, f"{label}{_COLON.get(lang, ': ')}{url}"]
    return "\n".join(lines) + "\n"


def append_html(html: str, footer: str) -> str:
    """``footer`` just before ``</body>``, or at the end when there is none."""
    end = html.lower().rfind("</body>")
    if end < 0:
        return html.rstrip() + footer
    return html[:end] + footer + html[end:]
