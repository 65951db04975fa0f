"""Choosing contacts from the command line: ``all``, emails, or simple ``field=value`` filters."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from goteo.actions.errors import ActionError
from goteo.contacts.models import Contact

FILTER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(!=|\^=|\*=|=)\s*(.*?)\s*$")
FIELDS = {"email", "first_name", "last_name", "locale", "timezone", "status"}
LOOKUPS = {"=": "iexact", "^=": "istartswith", "*=": "icontains"}


def condition(text: str) -> Q:
    """One filter: ``locale=es``, ``locale^=fr``, ``attributes.company*=acme``, ``status!=x``."""
    match = FILTER.match(text)
    if not match:
        raise ActionError("bad filter", {"where": f"{text!r} must look like field=value"})
    name, op, value = match.groups()
    if name.startswith("attributes."):
        column = "attributes__" + name.removeprefix("attributes.").replace(".", "__")
    elif name in FIELDS:
        column = name
    else:
        raise ActionError("bad filter", {"where": f"unknown field {name!r}"})
    if op == "!=":
        return ~Q(**{f"{column}__iexact": value})
    return Q(**{f"{column}__{LOOKUPS[op]}": value})


def select(
    segment: str | None, where: Iterable[str] = (), emails: Iterable[str] = ()
) -> QuerySet[Contact]:
    """Contacts chosen by ``--segment all``, ``--where`` filters (all must hold) or emails."""
    chosen = list(emails)
    filters = [condition(w) for w in where]
    if segment not in (None, "all"):
        filters.append(condition(segment))
    if segment is None and not filters and not chosen:
        raise ActionError("nobody chosen", {"segment": "give --segment all, --where or --contact"})
    query = Contact.objects.all()
    if chosen:
        query = query.filter(email__in=[e.strip().lower() for e in chosen])
    for f in filters:
        query = query.filter(f)
    return query.order_by("id")
