"""A campaign's postage budget: the ``postage`` key parsed and refused by line, the price list
read from ``GOTEO_MAIL_PRICES``, and the budget checked against it as ``validate`` does."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from goteo.campaigns.delivery_kinds import MARKETING
from goteo.channels.base import Price
from goteo.channels.direct_mail.price_checks import postage_problems
from goteo.channels.direct_mail.prices import parse_prices
from goteo.engine.parser import parse_with_warnings
from goteo.engine.postage import PostageBudget, money
from goteo.engine.problems import CampaignInvalid, Problem
from goteo.worker.gate import Facts, Hold, PauseCampaign, Postage, Send, Suppress, decide


def campaign_text(postage: str, *, mail: bool = True, fmt: str = "") -> str:
    channel = "mail" if mail else "email"
    card = "{subject: Hi, html: '<p>Hi</p>'" + (f", format: {fmt}" if fmt else "") + "}"
    lines = [
        "key: autumn",
        f"postage: {postage}",
        "steps:",
        f"  - {{send: {channel}, template: card}}",
        "templates:",
        "  card:",
        f"    en: {card}",
    ]
    return "\n".join(lines) + "\n"


def parsed(postage: str, **kwargs: str | bool) -> tuple[PostageBudget | None, list[Problem]]:
    campaign, warnings = parse_with_warnings(campaign_text(postage, **kwargs))  # type: ignore[arg-type]
    return campaign.postage, warnings


def refused(postage: str) -> list[str]:
    with pytest.raises(CampaignInvalid) as caught:
        parse_with_warnings(campaign_text(postage))
    return [str(p) for p in caught.value.problems]


def test_a_budget_is_a_decimal_amount_in_a_known_currency() -> None:
    budget, warnings = parsed("{budget: 500.00, currency: eur}")
    assert budget == PostageBudget(Decimal("500.0"), "EUR") and warnings == []
    assert str(budget) == "500.00 EUR"
    assert parsed("{budget: '498.20', currency: USD}")[0] == PostageBudget(Decimal("498.20"), "USD")
    assert parsed("{budget: 20000, currency: JPY}")[0] == PostageBudget(Decimal(20000), "JPY")


@pytest.mark.parametrize(
    ("postage", "message"),
    [
        ("{budget: 0, currency: EUR}", "line 2: postage.budget: 0 must be more than zero"),
        ("{budget: -5, currency: EUR}", "line 2: postage.budget: -5 must be more than zero"),
        ("{budget: lots, currency: EUR}", "line 2: postage.budget: 'lots' must be an amount"),
        ("{budget: .nan, currency: EUR}", "line 2: postage.budget: nan must be an amount"),
        ("{budget: true, currency: EUR}", "line 2: postage.budget: True must be an amount"),
        ("{budget: 10.005, currency: EUR}", "more decimals than EUR (2)"),
        ("{budget: 10.5, currency: JPY}", "more decimals than JPY (0)"),
        ("{budget: 500, currency: EUROS}", "postage.currency: 'EUROS' is not a currency"),
        ("{budget: 500, currency: XYZ}", "postage.currency: 'XYZ' is not a currency"),
        ("{budget: 500}", "postage.currency: is required"),
        ("{currency: EUR}", "postage.budget: is required"),
        ("{budget: 500, currency: EUR, per: month}", "postage.per: unknown key"),
        ("500", "postage: must be a mapping like {budget: 500.00, currency: EUR}"),
    ],
)
def test_a_bad_budget_is_refused_by_its_line(postage: str, message: str) -> None:
    assert any(message in problem for problem in refused(postage)), refused(postage)


def test_a_budget_with_no_mail_step_is_a_warning() -> None:
    budget, warnings = parsed("{budget: 50, currency: EUR}", mail=False)
    assert budget is not None
    assert [str(w) for w in warnings] == [
        "line 2: postage: no step sends mail (send: mail), so the budget is never spent"
    ]


def test_money_is_shown_in_the_currency_s_minor_unit() -> None:
    assert money(Decimal("498.2"), "EUR") == "498.20"
    assert money(Decimal("1.005"), "EUR") == "1.01"
    assert money(Decimal("498"), "JPY") == "498"


PRICES = '{"currency": "EUR", "a4": {"ES": 0.95, "*": 1.60}, "postcard-a6": "0.80"}'


def test_the_price_list_prices_a_format_per_country_with_a_default() -> None:
    prices = parse_prices(PRICES)
    assert prices is not None and prices.currency == "EUR"
    assert prices.price("a4", "es") == Price(Decimal("0.95"), "EUR")
    assert prices.price("a4", "PL") == Price(Decimal("1.60"), "EUR")
    assert prices.price("postcard-a6", "RU") == Price(Decimal("0.80"), "EUR")
    assert prices.price("letter", "US") is None
    unpriced = "no price for letter mailers to US (GOTEO_MAIL_PRICES)"
    assert prices.unpriced("letter", "us") == unpriced
    assert parse_prices("") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "GOTEO_MAIL_PRICES: must be a JSON object"),
        ("{", "GOTEO_MAIL_PRICES: not JSON"),
        ('{"a4": 1}', "GOTEO_MAIL_PRICES.currency: None is not a currency"),
        ('{"currency": "ZZZ", "a4": 1}', "GOTEO_MAIL_PRICES.currency: 'ZZZ' is not a currency"),
        ('{"currency": "EUR", "a5": 1}', "GOTEO_MAIL_PRICES.a5: not a mailer format"),
        ('{"currency": "EUR", "a4": {"Spain": 1}}', "GOTEO_MAIL_PRICES.a4.Spain: not a country"),
        ('{"currency": "EUR", "a4": -0.5}', "GOTEO_MAIL_PRICES.a4.*: -0.5 must be a price"),
        ('{"currency": "EUR", "a4": "free"}', "GOTEO_MAIL_PRICES.a4.*: free must be a price"),
        ('{"currency": "EUR", "a4": null}', "GOTEO_MAIL_PRICES.a4.*: None must be a price"),
    ],
)
def test_a_bad_price_list_is_refused_naming_the_setting_and_the_part(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*").replace("[", r"\[")):
        parse_prices(text)


def budget_problems(postage: str, prices: str, fmt: str = "") -> tuple[list[str], list[str]]:
    text = campaign_text(postage, fmt=fmt)
    campaign, _ = parse_with_warnings(text)
    problems, warnings = postage_problems(text, campaign, parse_prices(prices))
    return [str(p) for p in problems], [str(w) for w in warnings]


def test_a_budget_every_mailer_of_which_has_a_price_passes() -> None:
    assert budget_problems("{budget: 50, currency: EUR}", PRICES) == ([], [])
    assert budget_problems("{budget: 50, currency: EUR}", PRICES, "postcard-a6") == ([], [])


def test_a_budget_whose_mailers_cannot_all_be_priced_is_refused() -> None:
    budget = "{budget: 50, currency: EUR}"
    assert budget_problems(budget, "") == (
        ["line 2: postage: a budget needs the mailers' prices (GOTEO_MAIL_PRICES)"],
        [],
    )
    assert budget_problems("{budget: 50, currency: USD}", PRICES)[0] == [
        "line 2: postage.currency: USD, but mailers are priced in EUR (GOTEO_MAIL_PRICES)"
    ]
    assert budget_problems(budget, PRICES, "letter")[0] == [
        "line 7: templates.card.en.format: letter mailers have no price (GOTEO_MAIL_PRICES)"
    ]


def test_a_format_priced_for_some_countries_only_is_a_warning() -> None:
    only_spain = '{"currency": "EUR", "a4": {"ES": 0.95, "PT": 1.1}}'
    assert budget_problems("{budget: 50, currency: EUR}", only_spain) == (
        [],
        [
            "line 7: templates.card.en: a4 mailers are priced only to ES, PT "
            "(GOTEO_MAIL_PRICES): one to any other country pauses the campaign when it is due"
        ],
    )


NOW = datetime(2026, 10, 1, 12, tzinfo=UTC)
BUDGET = PostageBudget(Decimal("500.00"), "EUR")


def mailer_verdict(spent: str, price: Price | None, unpriced: str = "") -> object:
    postage = Postage(BUDGET, Decimal(spent), price, unpriced)
    return decide(MARKETING, Facts("active", None, "active", None, postage=postage), NOW)


def test_the_gate_sends_a_mailer_that_keeps_within_the_budget_or_reaches_it() -> None:
    assert mailer_verdict("0", Price(Decimal("1.80"), "EUR")) == Send()
    assert mailer_verdict("498.20", Price(Decimal("1.80"), "EUR")) == Send()  # exactly 500.00


def test_the_gate_pauses_the_campaign_for_a_mailer_past_the_budget() -> None:
    assert mailer_verdict("498.2", Price(Decimal("1.81"), "EUR")) == PauseCampaign(
        "postage budget spent: 498.20 of 500.00 EUR"
    )


def test_the_gate_pauses_for_a_mailer_whose_cost_cannot_be_known() -> None:
    why = "no price for a4 mailers to BR (GOTEO_MAIL_PRICES)"
    assert mailer_verdict("0", None, why) == PauseCampaign(f"postage budget: {why}")
    assert mailer_verdict("0", Price(Decimal(1), "USD")) == PauseCampaign(
        "postage budget: the budget is in EUR, mailers are priced in USD"
    )


def test_a_paused_or_unsubscribed_contact_comes_before_the_budget() -> None:
    over = Postage(BUDGET, Decimal("500"), Price(Decimal(1), "EUR"))
    paused = Facts("active", None, "paused", None, postage=over)
    assert decide(MARKETING, paused, NOW) == Hold()
    gone = Facts("unsubscribed", None, "active", None, postage=over)
    assert decide(MARKETING, gone, NOW) == Suppress("contact unsubscribed")
