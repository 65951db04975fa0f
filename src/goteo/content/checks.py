"""Static checks of campaign templates, run when a campaign document is parsed.

``check_template`` is the ``check_template`` hook of ``goteo.engine.parser.parse_campaign``:
it returns human messages, one per problem, and an empty list for a good template. It finds
syntax errors and names that will not exist at send time (``contact.frist_name``), so a typo
is refused when the campaign is applied rather than discovered for each contact.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from liquid.exceptions import LiquidError
from liquid.static_analysis import Segments, Variable

from goteo.content.liquid_env import environment_for

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
    problems.extend(_unguarded_optional_fields(source))
    return problems


# Contact fields that some contacts do not have.
_OPTIONAL = ("first_name", "last_name", "full_name", "locale", "timezone")
_OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)


def _unguarded_optional_fields(source: str) -> list[str]:
    """Printing a name some contacts lack needs a default or an ``{% if %}`` around it."""
    problems = []
    for name in _OPTIONAL:
        field = re.compile(rf"\bcontact\.{name}\b")
        guarded = re.search(rf"{{%-?\s*(if|unless|elsif)\b[^%]*\bcontact\.{name}\b", source)
        for match in _OUTPUT.finditer(source):
            expression = match.group(1)
            if field.search(expression) and "default" not in expression and not guarded:
                line = source.count("\n", 0, match.start()) + 1
                problems.append(
                    f"contact.{name} is empty for some contacts: print it with a default "
                    f'({{{{ contact.{name} | default: "…" }}}}) or inside '
                    f"{{% if contact.{name} %}} (line {line} of the template)"
                )
                break
    return problems


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
