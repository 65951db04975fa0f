"""Static checks of campaign templates, run when a campaign document is parsed.

``check_template`` is the ``check_template`` hook of ``goteo.engine.parser.parse_campaign``:
it returns human messages, one per problem, and an empty list for a good template. It finds
syntax errors and names that will not exist at send time (``contact.frist_name``), so a typo
is refused when the campaign is applied rather than discovered for each contact.

``printed_values`` is the ``find_printed`` hook: the values a template prints that some
contacts (or some steps) lack, which ``goteo.engine.printed`` turns into warnings or problems.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from liquid.exceptions import LiquidError
from liquid.static_analysis import Segments, Variable

from goteo.content.liquid_env import environment_for
from goteo.engine.printed import Printed

# The names a template may use, and the fields under each (None: any field is allowed).
NAMESPACE: dict[str, frozenset[str] | None] = {
    "contact": frozenset(
        ("email", "first_name", "last_name", "full_name", "locale", "timezone", "attributes")
    ),
    "campaign": frozenset(("key", "name")),
    "message": frozenset(("id",)),
    "unsubscribe_url": None,
    "preferences_url": None,
    "base_url": None,
    "postal_address": None,  # GOTEO_POSTAL_ADDRESS
    # The step's coupon (goteo.actions.coupons.coupon_context); absent values are left out.
    "coupon": frozenset(
        ("code", "expires_at", "expires_on", "percent_off", "amount_off", "currency", "discount")
    ),
    # The event a journey started from (an event trigger): its name and properties.
    "event": frozenset(("name", "properties")),
}
_KNOWN_PATHS = sorted(
    [root for root in NAMESPACE]
    + [f"{root}.{name}" for root, names in NAMESPACE.items() for name in names or ()]
)


def check_template(field: str, source: str) -> list[str]:
    """Problems in one template ``source`` (``field`` is subject, html, text or preheader)."""
    env = environment_for(field)
    try:
        template = env.from_string(source)
    except LiquidError as exc:
        return [_syntax_message(exc)]
    analysis = template.analyze()
    problems = [
        _variable_message(var, source)
        for variables in analysis.globals.values()
        for var in _unique(variables)
        if not _is_known(var.segments)
    ]
    problems.extend(
        f"unknown filter {name!r}" for name in analysis.filters if name not in env.filters
    )
    return problems


# Values that are missing for some contacts (or, for coupon and event, in some steps).
_BARE = re.compile(
    r"(?<![\w.])(?:contact\.(?:first_name|last_name|full_name|locale|timezone)\b(?!\.)"
    r"|contact\.attributes\.\w+|event\.properties\.\w+|event\.name\b|coupon\.\w+)"
)
_OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)


def printed_values(source: str) -> list[Printed]:
    """Values ``source`` prints without a default and outside an ``{% if %}`` on them.

    Each name once, at its first such line; ``goteo.engine.printed`` judges them.
    """
    found: dict[str, Printed] = {}
    for match in _OUTPUT.finditer(source):
        expression = match.group(1)
        if "default" in expression:
            continue
        for value in _BARE.finditer(expression):
            name = value.group(0)
            if name not in found and not _guarded(name, source):
                line = source.count("\n", 0, match.start()) + 1
                found[name] = Printed(name, line, expression[value.start() :].strip())
    return list(found.values())


def _guarded(name: str, source: str) -> bool:
    """An ``{% if %}``, ``{% unless %}`` or ``{% elsif %}`` tests the value or what holds it."""
    parts = name.split(".")
    for n in range(1, len(parts) + 1):
        tested = re.escape(".".join(parts[:n]))
        if re.search(rf"{{%-?\s*(?:if|unless|elsif)\b[^%]*(?<![\w.]){tested}(?![\w.])", source):
            return True
    return False


def _syntax_message(exc: LiquidError) -> str:
    where = exc.context()
    text = str(exc.message)
    return f"{text} (line {where[0]} of the template)" if where else text


def _unique(variables: Iterable[Variable]) -> list[Variable]:
    return list(dict.fromkeys(variables))  # Variable equality ignores the location


def _is_known(segments: Segments) -> bool:
    root = segments[0]
    if not isinstance(root, str) or root not in NAMESPACE:
        return False
    fields = NAMESPACE[root]
    if fields is None or len(segments) < 2:
        return True
    name = segments[1]
    # ``contact[key]`` is looked up at render time; a default covers a missing key.
    return not isinstance(name, str) or name in fields


def _variable_message(var: Variable, source: str) -> str:
    path = str(var)
    message = f"unknown variable {path}"
    known = ".".join(str(s) for s in var.segments[:2])
    guess = difflib.get_close_matches(known, _KNOWN_PATHS, n=1, cutoff=0.75)
    if guess:
        message += f" (did you mean {guess[0]}?)"
    if 0 <= var.span.index <= len(source):
        message += f" (line {source.count(chr(10), 0, var.span.index) + 1} of the template)"
    return message
