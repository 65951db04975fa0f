"""Which of the demo's contacts buy the course, and after how many exposures.

Each contact's fate is a seeded draw, the same on every run: after each exposure, the chance
that they buy now rises with the exposures they have had (the "law of 29" in small), so a few
buy early and most of those who buy do so late in the course. Nothing here touches a
database: ``goteo.cli.demo_shoppers`` records the purchases.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

SEED = "goteo-demo"
# The course's personal exposures: five emails, a postcard and a text message.
COURSE_EXPOSURES = 7
RISE = 0.008  # the chance of buying right after exposure n is RISE * n * n
# What the course costs where the contact lives (by the country of their postal address).
CURRENCIES = {"US": "USD", "CA": "CAD", "MX": "MXN", "AR": "USD", "BR": "BRL", "GB": "GBP",
              "CH": "CHF", "PL": "PLN", "RU": "RUB"}  # fmt: skip
PRICES = {"EUR": Decimal("49.00"), "USD": Decimal("55.00"), "CAD": Decimal("75.00"),
          "MXN": Decimal("990.00"), "BRL": Decimal("290.00"), "GBP": Decimal("42.00"),
          "CHF": Decimal("48.00"), "PLN": Decimal("210.00"), "RUB": Decimal("4900.00")}  # fmt: skip
SEATS = (1, 1, 1, 2, 3)  # how many seats a buyer takes, drawn from these


@dataclass(frozen=True)
class Purchase:
    """A contact's planned purchase: after how many exposures, and what they pay."""

    after_exposures: int
    value: Decimal
    currency: str
    seats: int


def _draw(seed: str, email: str, what: str) -> float:
    """A number in [0, 1), the same for the same seed, contact and question."""
    digest = hashlib.sha256(f"{seed}\0{email}\0{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def chance(exposures: int) -> float:
    """The chance of buying right after the ``exposures``-th exposure (if not bought yet)."""
    return min(1.0, RISE * exposures * exposures)


def planned_purchase(email: str, country: str, seed: str = SEED) -> Purchase | None:
    """The purchase this contact makes during the course, or None if they never buy."""
    for exposures in range(1, COURSE_EXPOSURES + 1):
        if _draw(seed, email, f"buy after {exposures}") < chance(exposures):
            currency = CURRENCIES.get(country, "EUR")
            seats = SEATS[int(_draw(seed, email, "seats") * len(SEATS))]
            return Purchase(exposures, PRICES[currency] * seats, currency, seats)
    return None
