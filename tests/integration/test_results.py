"""Results: figures per day and channel, the funnel, A/B significance and the Results page
(escaped, and in Spanish)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from tests.integration.console_helpers import signed_in
from tests.integration.test_reports import DAY, deliver, enroll, event, make_campaign

from goteo.actions.attribution import attribute_conversions
from goteo.campaigns.ab_results import split_results
from goteo.campaigns.funnel import funnels
from goteo.campaigns.models import Campaign, Enrollment
from goteo.campaigns.significance import holdout_lift, two_proportion_test
from goteo.campaigns.time_series import daily_series
from goteo.contacts.models import Contact

pytestmark = pytest.mark.django_db
# Three days ago at 09:00: the page shows the days up to the journeys' today.
T0 = (timezone.now() - 3 * DAY).replace(hour=9, minute=0, second=0, microsecond=0)
NAME = "<img src=x onerror=alert(1)> Spring"
SOURCE = """
key: spring
name: Spring
goal: {event: purchase, within: 10d}
steps:
  - id: pick
    split:
      - {name: a, weight: 45, next: hello}
      - {name: b, weight: 45, next: hello}
      - {name: holdout, weight: 10, holdout: true}
  - id: hello
    send: email
    template: hello
templates:
  hello:
    en: {subject: Hi, html: "<p>Hi</p>"}
"""


@pytest.fixture
def spring() -> Campaign:
    """Eight contacts: a (3, two buy), b (3, none buys), holdout (2, one buys)."""
    campaign = make_campaign("spring", SOURCE)
    Campaign.objects.filter(id=campaign.id).update(name=NAME)
    c = [Contact.objects.create(email=f"c{i}@example.com") for i in range(8)]
    variants = ["a"] * 3 + ["b"] * 3 + ["holdout"] * 2
    j = [enroll(campaign, who, v) for who, v in zip(c, variants, strict=True)]
    Enrollment.objects.filter(campaign=campaign).update(enrolled_at=T0)
    deliver(j[0], "hello", T0, opened_at=T0 + DAY / 4, opens=1)
    deliver(j[1], "hello", T0, clicked_at=T0 + DAY + DAY / 2, clicks=1)  # the next day
    deliver(j[2], "hello", T0 + 2 * DAY)
    for journey in j[3:6]:
        deliver(journey, "hello", T0 + 2 * DAY)
    facts = [
        event(c[0], "purchase", T0 + 2 * DAY, value="20", currency="EUR"),
        event(c[1], "purchase", T0 + 2 * DAY, value="5", currency="EUR"),
        event(c[6], "purchase", T0 + DAY, value="7", currency="EUR"),  # holdout, unattributed
    ]
    attribute_conversions(facts, T0 + 3 * DAY)
    campaign.refresh_from_db()
    return campaign


def test_figures_per_day_and_channel(spring: Campaign) -> None:
    series = daily_series(T0 + 3 * DAY, 5)
    assert (series.first, series.last) == ((T0 - DAY).date(), (T0 + 3 * DAY).date())
    got = {(r.day, r.channel): r for r in series.rows}
    day0, day1, day2 = (T0.date(), (T0 + DAY).date(), (T0 + 2 * DAY).date())
    assert (got[day0, "email"].sends, got[day0, "email"].opens) == (2, 1)
    assert (got[day1, "email"].sends, got[day1, "email"].clicks) == (0, 1)
    assert got[day1, "none"].conversions == 1  # the holdout's purchase credits no message
    assert got[day1, "none"].revenue == {"EUR": Decimal("7.00")}
    assert (got[day2, "email"].sends, got[day2, "email"].conversions) == (4, 2)
    assert got[day2, "email"].revenue == {"EUR": Decimal("25.00")}
    charts = series.as_json()
    assert charts["days"][1] == day0.isoformat()
    assert charts["measures"]["sends"]["email"] == [0, 2, 0, 4, 0]
    assert charts["measures"]["revenue:EUR"]["none"] == [0, 0, 7.0, 0, 0]
    assert daily_series(T0 + 3 * DAY, 5, spring.id + 1).rows == []
    with pytest.raises(ValueError, match="days"):
        daily_series(T0, 0)


def test_the_funnel_counts_contacts_at_each_stage(spring: Campaign) -> None:
    (funnel,) = funnels()
    assert funnel.stages() == [
        ("enrolled", 8),
        ("sent", 6),
        ("opened", 2),  # a click proves an open
        ("clicked", 1),
        ("converted", 2),
    ]


def test_split_results_test_each_variant_against_the_control(spring: Campaign) -> None:
    result = split_results(spring)
    assert result is not None and result.step_id == "pick"
    a, b, holdout = result.variants
    assert (a.control, a.enrolled, a.converted, a.test) == (True, 3, 2, None)
    assert (b.enrolled, b.converted) == (3, 0)
    assert b.test == two_proportion_test(0, 3, 2, 3, 0.95)
    assert b.test is not None and not b.test.significant  # three people prove nothing
    assert (holdout.holdout, holdout.enrolled, holdout.converted) == (True, 2, 1)
    assert result.lift == holdout_lift(2, 6, 1, 2, 0.95)


def test_the_results_page_shows_charts_data_and_tables_escaped(spring: Campaign) -> None:
    client = signed_in("viewer")
    page = client.get("/app/results?days=7").content.decode()
    assert 'id="results-data" type="application/json"' in page
    assert '"sends": {"email": [' in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; Spring" in page
    assert 'id="funnel-table"' in page and "/app/results?campaign=spring&amp;days=7" in page
    one = client.get("/app/results?campaign=spring").content.decode()
    assert 'id="ab-spring"' in one and "(control)" in one and "(holdout)" in one
    assert "Lift over the holdout" in one and 'id="exposure-table"' in one
    assert client.get("/app/results?campaign=nope").status_code == 404
    spanish = client.get("/app/results", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Resultados A/B" in spanish and "Embudo" in spanish


def test_the_api_reports_over_time_and_the_ab_results(spring: Campaign, client: Client) -> None:
    auth = {"Authorization": "Bearer test-api-key"}
    answer = client.get("/api/v1/reports/over-time?days=5&campaign=spring", headers=auth)
    assert answer.status_code == 200
    body = answer.json()
    rows = {(r["day"], r["channel"]): r for r in body["rows"]}
    day2 = (T0 + 2 * DAY).date().isoformat()
    assert (rows[day2, "email"]["sends"], rows[day2, "email"]["revenue"]) == (4, {"EUR": "25.00"})
    refused = client.get("/api/v1/reports/over-time?days=0", headers=auth)
    assert refused.status_code == 400 and "days" in refused.json()["fields"]
    missing = client.get("/api/v1/reports/over-time?campaign=nope", headers=auth)
    assert missing.status_code == 404 and missing.json()["fields"] == {
        "campaign": "'nope' does not exist"
    }
    assert client.get("/api/v1/reports/over-time").status_code == 401
    ab = client.get("/api/v1/reports/campaigns/spring/ab?confidence=0.9", headers=auth).json()
    assert (ab["step_id"], ab["confidence"]) == ("pick", 0.9)
    assert [v["name"] for v in ab["variants"]] == ["a", "b", "holdout"]
    assert ab["variants"][1]["test"]["p_value"] == pytest.approx(
        two_proportion_test(0, 3, 2, 3, 0.9).p_value  # type: ignore[union-attr]
    )
    assert ab["lift"]["low"] < ab["lift"]["difference"] < ab["lift"]["high"]
