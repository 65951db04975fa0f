"""The "law of 29" report: buckets, converters counted before converting, channel mixes,
per campaign and overall; the API (and its schema), the SVG chart and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone
from tests.integration.test_openapi import problems

from goteo.actions.contacts import do_upsert_contact
from goteo.campaigns.exposure_curve import exposure_curve
from goteo.campaigns.exposures import Touch, record_touches
from goteo.campaigns.models import Campaign, Conversion
from goteo.cli import main

AUTH = {"Authorization": "Bearer test-api-key"}
T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
LABELS = ["1", "2–5", "6–10", "11–20", "21–28", "29+"]

pytestmark = pytest.mark.django_db


class World:
    def __init__(self) -> None:
        self.campaigns = {k: Campaign.objects.create(key=k, name=k.title()) for k in ("a", "b")}
        self.touches: list[Touch] = []
        self.conversions = 0

    def person(self, name: str) -> int:
        return do_upsert_contact({"email": f"{name}@example.com"}).contact.id

    def exposed(self, contact: int, campaign: str, channel: str, *hours: int) -> None:
        for h in hours:
            key = f"t:{len(self.touches)}"
            at = T + h * HOUR
            cid = self.campaigns[campaign].id
            self.touches.append(Touch(contact, channel, "sent", at, key, campaign_id=cid))

    def bought(self, contact: int, hour: int) -> None:
        self.conversions += 1
        Conversion.objects.create(
            contact_id=contact, event_id=self.conversions, name="purchase",
            occurred_at=T + hour * HOUR,
        )  # fmt: skip


@pytest.fixture
def world() -> World:
    w = World()
    one, three, thirty, before, tie, other = (
        w.person(n) for n in ("one", "three", "thirty", "before", "tie", "other")
    )
    w.exposed(one, "a", "email", 0)
    w.bought(one, 5)  # 1 exposure, then bought
    w.exposed(three, "a", "email", 0, 1, 2, 10, 11)
    w.bought(three, 3)  # 3 before buying; the 2 after do not count
    w.exposed(thirty, "a", "email", *range(20))
    w.exposed(thirty, "b", "mail", *range(20, 30))  # 30 in all, never bought
    w.bought(before, 0)  # bought before any exposure: not a conversion of the exposures
    w.exposed(before, "a", "email", 1)
    w.exposed(tie, "a", "email", 0, 1, 2)
    w.exposed(tie, "a", "sms", 3, 4, 5, 6)
    w.bought(tie, 6)  # at the moment of the 7th exposure: 6 came before
    w.exposed(other, "b", "mail", 0, 1)
    record_touches(w.touches)
    return w


def table(report: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(b["bucket"], b["contacts"], b["converted"]) for b in report["buckets"]]


def test_overall_buckets_count_exposures_before_converting(world: World) -> None:
    report = exposure_curve(None, T + 100 * HOUR)
    assert report["campaign"] is None
    assert (report["contacts"], report["converted"], report["conversion_rate"]) == (6, 3, 0.5)
    assert table(report) == [
        ("1", 2, 1),  # one (bought), before (bought only before being exposed)
        ("2–5", 2, 1),  # three (bought after 3), other (2, never)
        ("6–10", 1, 1),  # tie
        ("11–20", 0, 0),
        ("21–28", 0, 0),
        ("29+", 1, 0),  # thirty
    ]
    assert report["buckets"][0] | {} == {
        "bucket": "1", "min": 1, "max": 1, "contacts": 2, "converted": 1, "conversion_rate": 0.5,
    }  # fmt: skip
    assert report["buckets"][-1]["max"] is None
    mixes = {"+".join(m["channels"]): table(m) for m in report["mixes"]}
    assert mixes["email"] == [("1", 2, 1), ("2–5", 1, 1), *[(b, 0, 0) for b in LABELS[2:]]]
    assert mixes["email+mail"][-1] == ("29+", 1, 0)
    assert mixes["email+sms"][2] == ("6–10", 1, 1)
    assert mixes["mail"][1] == ("2–5", 1, 0)
    per_campaign = {c["campaign"]: table(c) for c in report["campaigns"]}
    assert per_campaign["a"][:3] == [("1", 2, 1), ("2–5", 1, 1), ("6–10", 1, 1)]
    assert per_campaign["a"][3] == ("11–20", 1, 0)  # thirty's 20 emails of campaign a
    assert per_campaign["b"][:3] == [("1", 0, 0), ("2–5", 1, 0), ("6–10", 1, 0)]


def test_one_campaign_counts_only_its_own_exposures(world: World) -> None:
    report = exposure_curve(world.campaigns["b"], T + 100 * HOUR)
    assert report["campaign"] == "b"
    assert table(report)[1:3] == [("2–5", 1, 0), ("6–10", 1, 0)]
    assert "campaigns" not in report


def test_the_api_table_matches_its_schema_and_the_chart_is_svg(
    world: World, client: Client
) -> None:
    response = client.get("/api/v1/reports/exposures?campaign=a", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == exposure_curve(world.campaigns["a"], timezone.now())
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/reports/exposures"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert problems(schema, response.json(), document) == []
    assert (
        problems(schema, client.get("/api/v1/reports/exposures", headers=AUTH).json(), document)
        == []
    )
    missing = client.get("/api/v1/reports/exposures.svg?campaign=nope", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["fields"]["campaign"]

    chart = client.get("/api/v1/reports/exposures.svg", headers=AUTH)
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    assert_chart(chart.content)


def assert_chart(svg: bytes) -> None:
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter() if t.text}
    assert set(LABELS) <= texts
    assert not [e for e in root.iter() if e.tag.endswith("script")]


def test_goteo_report_exposures_prints_the_table_and_writes_the_chart(
    world: World, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "curve.svg"
    human = runner.invoke(main, ["report", "a", "--exposures", "--svg", str(out)])
    assert human.exit_code == 0, human.output
    assert "5 exposed contact(s), 3 converted (60.00%)" in human.output
    assert "2–5        1         1          100.00%" in human.output
    assert "channels: email + sms" in human.output
    assert_chart(out.read_bytes())
    overall = runner.invoke(main, ["report", "--exposures", "--json"])
    assert json.loads(overall.output)["campaigns"][0]["campaign"] == "a"
    assert runner.invoke(main, ["report", "nope", "--exposures"]).exit_code == 1
    assert runner.invoke(main, ["report"]).exit_code == 1
