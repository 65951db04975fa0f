"""``validate``'s checks of a postage budget against the price list (``GOTEO_MAIL_PRICES``).

A budget can be kept only if every mailer's cost is known before it goes. So a campaign with
``postage`` is refused when no price list is configured, when the list is in another currency,
or when a mail template's format has no price at all; a format priced only for some countries
is a warning (a mailer to any other country is held, and the campaign paused, when it is due).
"""

from __future__ import annotations

from goteo.channels.direct_mail.formats import DEFAULT_FORMAT
from goteo.channels.direct_mail.prices import ANY_COUNTRY, SETTING, PriceList
from goteo.engine import yamlsource
from goteo.engine.model import Campaign
from goteo.engine.postage import mail_templates
from goteo.engine.problems import Problem


def postage_problems(
    source: str, campaign: Campaign, prices: PriceList | None
) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of the campaign's budget, each at its line; none without one."""
    budget = campaign.postage
    if budget is None:
        return [], []
    doc = yamlsource.load(source)

    def at(path: str, message: str) -> Problem:
        return Problem(doc.line(path), path, message)

    if prices is None:
        return [at("postage", f"a budget needs the mailers' prices ({SETTING})")], []
    if prices.currency != budget.currency:
        message = f"{budget.currency}, but mailers are priced in {prices.currency} ({SETTING})"
        return [at("postage.currency", message)], []
    problems, warnings = [], []
    for name in mail_templates(campaign.steps):
        for locale, variant in campaign.templates.get(name, {}).items():
            fmt = variant.format or DEFAULT_FORMAT
            path = f"templates.{name}.{locale}" + (".format" if variant.format else "")
            listed = prices.prices.get(fmt)
            if not listed:
                problems.append(at(path, f"{fmt} mailers have no price ({SETTING})"))
            elif ANY_COUNTRY not in listed:
                countries = ", ".join(sorted(listed))
                message = (
                    f"{fmt} mailers are priced only to {countries} ({SETTING}): one to any "
                    "other country pauses the campaign when it is due"
                )
                warnings.append(at(path, message))
    return problems, warnings
