"""The ``coupon`` of a send step: a unique code generated per contact, or drawn from a pool.

```yaml
coupon: {percent_off: 10, expires_in: 7d, prefix: CART-, length: 8}   # generated
coupon: {pool: spring-sale, expires_in: 14d}                           # drawn from a pool
```

Pure: ``parse_coupon_spec`` returns the spec and every problem, each named by its full path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from goteo.engine.durations import DurationError, parse_duration

# Uppercase letters and digits without the look-alikes 0/O and 1/I.
DEFAULT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_LENGTH, MAX_LENGTH = 6, 32
CODE_MAX = 64  # the stored code's size
POOL_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PREFIX = re.compile(r"^[A-Za-z0-9_-]*$")
ALPHABET = re.compile(r"^[A-Z0-9]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = Decimal("9999999999.99")  # what the coupon table holds

GENERATION_KEYS = ("prefix", "length", "alphabet")
KEYS = (*GENERATION_KEYS, "percent_off", "amount_off", "currency", "expires_in", "pool")

Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class CouponSpec:
    """How a send step's coupon is made; ``pool`` set means drawn, not generated."""

    prefix: str = ""
    length: int = 8
    alphabet: str = DEFAULT_ALPHABET
    percent_off: Decimal | None = None
    amount_off: Decimal | None = None
    currency: str = ""
    expires_in: timedelta | None = None
    pool: str = ""

    @property
    def generated(self) -> bool:
        return not self.pool


def parse_coupon_spec(raw: Any, path: str) -> tuple[CouponSpec | None, Problems]:
    """Validate one ``coupon`` mapping found at ``path`` (``steps[3].coupon``)."""
    if not isinstance(raw, dict):
        example = "{percent_off: 10, expires_in: 7d} or {pool: spring-sale}"
        return None, [(path, f"a coupon must be a mapping such as {example}")]
    problems: Problems = [(f"{path}.{k}", "unknown key for a coupon") for k in raw if k not in KEYS]
    pool = _pool(raw, path, problems)
    discount = _discount(raw, path, problems, required=not pool)
    expires_in = _expires_in(raw, path, problems)
    if pool:
        problems.extend(
            (f"{path}.{k}", "pool codes are imported, not generated: leave it out with pool")
            for k in GENERATION_KEYS
            if k in raw
        )
        prefix, length, alphabet = "", 8, DEFAULT_ALPHABET
    else:
        prefix, length, alphabet = _generation(raw, path, problems)
    if problems:
        return None, problems
    percent_off, amount_off, currency = discount
    spec = CouponSpec(prefix, length, alphabet, percent_off, amount_off, currency, expires_in, pool)
    return spec, []


def _pool(raw: dict[str, Any], path: str, problems: Problems) -> str:
    if "pool" not in raw:
        return ""
    pool = raw["pool"]
    if not isinstance(pool, str) or not POOL_KEY.match(pool):
        message = f"{pool!r} must be a pool key: lowercase letters, digits, '-' or '_'"
        problems.append((f"{path}.pool", message))
        return "-"  # still a pool: do not also ask for generation keys
    return pool


def _generation(raw: dict[str, Any], path: str, problems: Problems) -> tuple[str, int, str]:
    prefix = raw.get("prefix", "")
    if not isinstance(prefix, str) or not PREFIX.match(prefix):
        problems.append((f"{path}.prefix", "must be letters, digits, '-' or '_'"))
        prefix = ""
    length = raw.get("length", 8)
    if isinstance(length, bool) or not isinstance(length, int):
        problems.append((f"{path}.length", f"{length!r} is not a whole number"))
        length = 8
    elif not MIN_LENGTH <= length <= MAX_LENGTH:
        problems.append((f"{path}.length", f"must be between {MIN_LENGTH} and {MAX_LENGTH}"))
    elif len(prefix) + length > CODE_MAX:
        problems.append((f"{path}.prefix", f"prefix and length together exceed {CODE_MAX}"))
    alphabet = raw.get("alphabet", DEFAULT_ALPHABET)
    if not isinstance(alphabet, str) or not ALPHABET.match(alphabet):
        message = "must be uppercase letters and digits only (codes match in any case)"
        problems.append((f"{path}.alphabet", message))
        alphabet = DEFAULT_ALPHABET
    elif len(set(alphabet)) != len(alphabet):
        problems.append((f"{path}.alphabet", "has a character more than once"))
    elif len(alphabet) < 10:
        problems.append((f"{path}.alphabet", "needs at least 10 characters"))
    return prefix, length, alphabet


def _discount(
    raw: dict[str, Any], path: str, problems: Problems, *, required: bool
) -> tuple[Decimal | None, Decimal | None, str]:
    percent = _number(raw, "percent_off", path, problems)
    amount = _number(raw, "amount_off", path, problems)
    currency = raw.get("currency")
    if percent is not None and not Decimal(0) < percent <= Decimal(100):
        problems.append((f"{path}.percent_off", "must be more than 0 and at most 100"))
    if amount is not None and not Decimal(0) < amount <= MAX_AMOUNT:
        problems.append((f"{path}.amount_off", f"must be more than 0 and at most {MAX_AMOUNT}"))
    both = "percent_off" in raw and "amount_off" in raw
    if both:
        # One mistake, one problem: the currency question waits until the choice is made.
        problems.append((f"{path}.amount_off", "give percent_off or amount_off, not both"))
    elif required and "percent_off" not in raw and "amount_off" not in raw:
        problems.append((path, "a generated coupon needs percent_off or amount_off"))
    if "amount_off" in raw and currency is None and not both:
        problems.append((f"{path}.currency", "amount_off needs a currency (like EUR)"))
    if currency is not None:
        if "amount_off" not in raw:
            problems.append((f"{path}.currency", "a currency goes with amount_off"))
        elif not isinstance(currency, str) or not CURRENCY.match(currency.upper()):
            problems.append((f"{path}.currency", f"{currency!r} is not an ISO 4217 code (EUR)"))
    code = currency.upper() if isinstance(currency, str) else ""
    return percent, amount, code


def _number(raw: dict[str, Any], key: str, path: str, problems: Problems) -> Decimal | None:
    if key not in raw:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        problems.append((f"{path}.{key}", f"{value!r} is not a number"))
        return None
    try:
        number = Decimal(str(value).strip())
        finite = number.is_finite() and abs(number) <= MAX_AMOUNT * 10
    except InvalidOperation:
        finite = False
    if not finite:
        problems.append((f"{path}.{key}", f"{value!r} is not a number in range"))
        return None
    if number != number.quantize(Decimal("0.01")):
        problems.append((f"{path}.{key}", "at most 2 decimal places"))
    return number


def _expires_in(raw: dict[str, Any], path: str, problems: Problems) -> timedelta | None:
    if "expires_in" not in raw:
        return None
    try:
        return parse_duration(raw["expires_in"])
    except DurationError as exc:
        problems.append((f"{path}.expires_in", str(exc)))
        return None
