"""A campaign's postage budget: ``postage: {budget: 500.00, currency: EUR}``.

Mailers cost money. A campaign may cap what its mailers spend, in one currency (an ISO 4217
code Babel knows); the worker holds the mailer that would go past it and pauses the campaign
with the reason (docs/direct-mail.md#the-postage-budget). Amounts are decimals, never floats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision, is_currency

from goteo.engine.steps import SendStep, Step, TouchStep

Fail = Callable[[str, str], None]
POSTAGE_KEYS = ("budget", "currency")
MAX_BUDGET = Decimal("1000000000")  # what the store's column holds, with room to spare


@dataclass(frozen=True)
class PostageBudget:
    budget: Decimal
    currency: str  # ISO 4217, upper case

    def __str__(self) -> str:
        return f"{money(self.budget, self.currency)} {self.currency}"


def money(amount: Decimal, currency: str) -> str:
    """``498.2`` in EUR is ``498.20``; in JPY ``498``: the currency's own minor unit."""
    places = get_currency_precision(currency)
    return str(amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def parse_postage(value: Any, fail: Fail) -> PostageBudget | None:
    """The budget, or None (having called ``fail(path, message)`` for each problem)."""
    if not isinstance(value, dict):
        fail("postage", "must be a mapping like {budget: 500.00, currency: EUR}")
        return None
    for k in value:
        if k not in POSTAGE_KEYS:
            fail(f"postage.{k}", f"unknown key (expected {', '.join(POSTAGE_KEYS)})")
    currency = _currency(value.get("currency"), "currency" in value, fail)
    budget = _amount(value.get("budget"), "budget" in value, fail)
    if budget is None or currency is None:
        return None
    places = get_currency_precision(currency)
    exponent = budget.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        fail("postage.budget", f"{value['budget']} has more decimals than {currency} ({places})")
        return None
    return PostageBudget(budget, currency)


def _currency(value: Any, given: bool, fail: Fail) -> str | None:
    if not given:
        fail("postage.currency", "is required (an ISO 4217 code like EUR or USD)")
        return None
    code = value.strip().upper() if isinstance(value, str) else ""
    if not code or not is_currency(code):
        fail("postage.currency", f"{value!r} is not a currency (an ISO 4217 code like EUR)")
        return None
    return code


def _amount(value: Any, given: bool, fail: Fail) -> Decimal | None:
    if not given:
        fail("postage.budget", "is required (like 500.00)")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        fail("postage.budget", f"{value!r} must be an amount (like 500.00)")
        return None
    try:
        amount = Decimal(str(value).strip())  # a float through its shortest repr: 498.2
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        fail("postage.budget", f"{value!r} must be an amount (like 500.00)")
        return None
    if amount <= 0:
        fail("postage.budget", f"{value} must be more than zero")
        return None
    if amount >= MAX_BUDGET:
        fail("postage.budget", f"{value} must be less than {MAX_BUDGET}")
        return None
    return amount


def sends_mail(steps: tuple[Step, ...] | list[Step]) -> bool:
    """Whether any step can send a mailer (``send: mail``, or a touch step's mail)."""
    return any(
        (isinstance(s, SendStep) and s.channel == "mail")
        or (isinstance(s, TouchStep) and "mail" in s.templates)
        for s in steps
    )


def mail_templates(steps: tuple[Step, ...] | list[Step]) -> list[str]:
    """The templates the campaign's mailers are printed from, each once, in document order."""
    names: dict[str, None] = {}
    for s in steps:
        if isinstance(s, SendStep) and s.channel == "mail":
            names[s.template] = None
        elif isinstance(s, TouchStep):
            names.update(dict.fromkeys(s.templates.get("mail", ())))
    return list(names)
