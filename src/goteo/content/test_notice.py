"""The footer line of a test send: it says the message is a test, for whom it was rendered,
and that its unsubscribe and preference links do nothing.

It goes below everything else in both parts (after the unsubscribe footer, ``footer.py``),
in the message's language, so whoever reads the seed copy cannot take it for the real one.
"""

from __future__ import annotations

import html as html_lib

from goteo.content.footer import append_html, footer_locale

SUBJECT_PREFIX = "[Test] "
# locale -> the notice; {campaign} and {contact} are filled in
_WORDING = {
    "en": (
        "This is a test of {campaign}, rendered for {contact}. Nothing is counted, and its "
        "unsubscribe and preference links do nothing."
    ),
    "es": (
        "Esto es una prueba de {campaign}, preparada para {contact}. No cuenta en nada, y sus "
        "enlaces para darse de baja y de preferencias no hacen nada."
    ),
    "fr": (
        "Ceci est un test de {campaign}, rendu pour {contact}. Rien n’est compté, et ses "
        "liens de désabonnement et de préférences ne font rien."
    ),
    "it": (
        "Questa è una prova di {campaign}, preparata per {contact}. Non viene conteggiata, e "
        "i suoi link di disiscrizione e di preferenze non fanno nulla."
    ),
    "pl": (
        "To jest test kampanii {campaign}, przygotowany dla {contact}. Nic nie jest liczone, "
        "a linki do wypisania się i preferencji nic nie robią."
    ),
    "ru": (
        "Это тестовое письмо кампании {campaign}, подготовленное для {contact}. Оно нигде не "
        "учитывается, а ссылки отписки и настроек ничего не делают."
    ),
}
_BOX = (
    '<div lang="{lang}" data-goteo-test="1" style="margin:16px 0 0;padding:8px 12px;'
    "border:1px dashed #b45309;font-family:sans-serif;font-size:12px;line-height:1.5;"
    'color:#7c2d12;background:#fffbeb">{notice}</div>'
)


def notice(locale: str, campaign: str, contact: str) -> str:
    lang = footer_locale(locale)
    return _WORDING.get(lang, _WORDING["en"]).format(campaign=campaign, contact=contact)


def add_test_notice(
    html: str, text: str, *, locale: str, campaign: str, contact: str
) -> tuple[str, str]:
    """``(html, text)``, each ending with the notice (in the HTML, before ``</body>``)."""
    words = notice(locale, campaign, contact)
    box = _BOX.format(lang=footer_locale(locale), notice=html_lib.escape(words))
    return append_html(html, box), f"{text.rstrip()}\n\n{SUBJECT_PREFIX}{words}\n"
