"""What a mailer costs: the price list ``GOTEO_MAIL_PRICES``, per format and country.

``{"currency": "EUR", "a4": {"ES": 0.95, "*": 1.60}, "postcard-a6": 0.80}``: one currency
(ISO 4217), then per mailer format either one price for every country or a price per
destination country (ISO 3166 alpha-2), with ``*`` for the countries not named. Prices are
decimals (JSON numbers are read as decimals, never floats) and never negative.

The print-and-mail API answers with no price (its letter and postcard objects carry none),
and the cost must be known before a mailer goes, to keep a campaign inside its postage
budget: so the price list prices every provider's mailers, the print-house export's too.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import is_currency

from goteo.channels.base import Price
from goteo.channels.direct_mail.formats import FORMATS

SETTING = "GOTEO_MAIL_PRICES"
ANY_COUNTRY = "*"
COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class PriceList:
    currency: str
    prices: dict[str, dict[str, Decimal]]  # format -> country (or "*") -> price

    def price(self, fmt: str, country: str) -> Price | None:
        """The price of one mailer of format ``fmt`` to ``country``; None when unlisted."""
        by_country = self.prices.get(fmt, {})
        amount = by_country.get(country.upper(), by_country.get(ANY_COUNTRY))
        return None if amount is None else Price(amount, self.currency)

    def unpriced(self, fmt: str, country: str) -> str:
        """Why a mailer has no price (for the reason a held mailer's campaign is paused)."""
        return f"no price for {fmt} mailers to {country.upper()} ({SETTING})"


def parse_prices(text: str) -> PriceList | None:
    """The price list in ``text`` (None when empty); ValueError naming the setting and the
    part that is wrong."""
    if not text.strip():
        return None
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    except ValueError as exc:
        raise ValueError(f"{SETTING}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f'{SETTING}: must be a JSON object like {{"currency": "EUR", "a4": 1.1}}')
    currency = data.get("currency")
    if not isinstance(currency, str) or not is_currency(currency.upper()):
        raise ValueError(f"{SETTING}.currency: {currency!r} is not a currency (like EUR)")
    prices = {}
    for fmt, value in data.items():
        if fmt == "currency":
            continue
        if fmt not in FORMATS:
            raise ValueError(f"{SETTING}.{fmt}: not a mailer format (use {', '.join(FORMATS)})")
        by_country = value if isinstance(value, dict) else {ANY_COUNTRY: value}
        prices[fmt] = {_country(fmt, c): _amount(f"{fmt}.{c}", p) for c, p in by_country.items()}
    return PriceList(currency.upper(), prices)


def _country(fmt: str, value: str) -> str:
    if value != ANY_COUNTRY and not COUNTRY.match(value):
        raise ValueError(f"{SETTING}.{fmt}.{value}: not a country code (like ES) or *")
    return value


def _amount(path: str, value: Any) -> Decimal:
    if isinstance(value, str):
        with contextlib.suppress(ArithmeticError):
            value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{SETTING}.{path}: {value} must be a price of zero or more")
    return value


def currency_of(text: str) -> str | None:
    """The price list's currency, for reports; None when none is set (or it is unreadable:
    the worker and ``validate`` name the problem)."""
    try:
        prices = parse_prices(text)
    except ValueError:
        return None
    return None if prices is None else prices.currency
