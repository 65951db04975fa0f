"""A split decided by its auto-winner rule through the real worker (new arrivals go to the
winner, journeys on a variant keep it), once however often the pass runs; shown in the
report, the API, the console and the simulator; picked by hand by an editor, never a viewer."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import connection
from django.test import Client
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import campaign_source, parse, people, simple_template
from tests.integration.test_reports import T0, deliver, enroll
from tests.smtp_sink import SmtpSink

from goteo.accounts.models import AuditEntry
from goteo.actions.campaigns import do_apply_campaign
from goteo.actions.enroll import do_enroll
from goteo.actions.errors import ActionError
from goteo.actions.split_winners import do_decide_splits, do_pick_winner
from goteo.campaigns.models import Campaign, Delivery, Enrollment, SplitDecision
from goteo.campaigns.reports import campaign_report
from goteo.cli import main
from goteo.contacts.models import Contact
from goteo.engine.clock import ManualClock
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)
DAY = timedelta(days=1)
RULE = {"metric": "clicked", "min_sends": 15, "confidence": 0.95}


def split_source(key: str, winner: dict[str, object] | None = RULE) -> str:
    variants = [
        {"name": "a", "weight": 45, "next": "send-a"},
        {"name": "b", "weight": 45, "next": "send-b"},
        {"name": "holdout", "weight": 10, "holdout": True},
    ]
    split: dict[str, object] = {"variants": variants}
    if winner is not None:
        split["winner"] = winner
    steps: list[dict[str, Any]] = [
        {"id": "pick", "split": split},
        {"id": "send-a", "send": "email", "template": "a", "next": "later"},
        {"id": "send-b", "send": "email", "template": "b"},
        {"id": "later", "wait": "2d"},
        {"id": "follow", "branch": {"tags": {"contains": "never"}}, "else": "done"},
        {"id": "done", "exit": True},
    ]
    templates = {"a": simple_template("Offer A"), "b": simple_template("Offer B")}
    return campaign_source(key, steps, templates)


def subjects(sink: SmtpSink) -> Counter[str]:
    return Counter(str(parse(raw)["Subject"]) for _, _, raw in sink.messages)


def test_the_rule_decides_once_and_new_arrivals_go_to_the_winner(
    worker: Worker, clock: ManualClock, smtp_sink: SmtpSink
) -> None:
    do_apply_campaign(split_source("spring"))
    first = people(*(f"p{i}" for i in range(80)))
    do_enroll("spring", first.values(), clock.now())
    worker.run_until_idle()
    drew = Counter(Enrollment.objects.values_list("variant", flat=True))
    assert drew["a"] >= 15 and drew["b"] >= 15, drew
    assert SplitDecision.objects.count() == 0  # nobody clicked yet: the rule is not met
    Delivery.objects.filter(template="a").update(clicked_at=clock.now(), clicks=1)
    clock.advance(timedelta(minutes=2))  # the periodic pass looks again
    worker.run_until_idle()

    decision = SplitDecision.objects.get()
    assert (decision.step_id, decision.variant, decision.metric) == ("pick", "a", "clicked")
    assert decision.decided_by == "auto-winner rule"
    assert decision.p_value is not None and decision.p_value < 0.05
    assert decision.reason.startswith("a clicked 100.0% against b 0.0%")
    assert [f["variant"] for f in decision.figures] == ["a", "b"]
    audit = AuditEntry.objects.filter(action="campaign.split_decided")
    assert audit.count() == 1 and (audit.get().after or {})["variant"] == "a"
    assert do_decide_splits(clock.now() + DAY) == 0  # another pass, or another worker
    assert SplitDecision.objects.count() == 1 and audit.count() == 1

    second = people(*(f"q{i}" for i in range(60)))
    do_enroll("spring", second.values(), clock.now())
    worker.run_until_idle()
    late = Counter(
        Enrollment.objects.filter(contact_id__in=second.values()).values_list("variant", flat=True)
    )
    assert set(late) <= {"a", "holdout"} and late["a"] >= 40, late
    sent = subjects(smtp_sink)
    assert sent["Offer B"] == drew["b"]  # nobody new received B
    assert sent["Offer A"] == drew["a"] + late["a"]
    clock.advance(3 * DAY)
    worker.run_until_idle()
    kept = Enrollment.objects.filter(contact_id__in=first.values(), variant="b")
    assert kept.count() == drew["b"]  # the journeys already on b stayed there to the end
    assert set(kept.values_list("end_reason", flat=True)) == {"exit step"}


def test_the_report_the_api_and_goteo_report_show_the_decision(clock: ManualClock) -> None:
    do_apply_campaign(split_source("spring"))
    report = campaign_report("spring", clock.now())
    assert report["split"] == {
        "step_id": "pick",
        "variants": ["a", "b"],
        "rule": "best clicked at 95% confidence, at least 15 journeys each",
        "standing": "0 of 15 journeys in every variant",
        "decision": None,
    }
    picked = CliRunner().invoke(main, ["campaign", "pick-winner", "spring", "b"])
    assert picked.exit_code == 0, picked.output
    assert picked.output == "spring: split pick decided for b\n"
    decision = campaign_report("spring", clock.now())["split"]["decision"]
    assert decision["variant"] == "b" and decision["metric"] == "hand"
    assert (decision["reason"], decision["decided_by"]) == ("picked by hand", "cli")
    human = CliRunner().invoke(main, ["report", "spring"])
    assert human.exit_code == 0, human.output
    assert "split pick: decided for b on " in human.output
    assert "by cli: picked by hand" in human.output
    api = Client().get(
        "/api/v1/reports/campaigns/spring", headers={"Authorization": "Bearer test-api-key"}
    )
    assert api.status_code == 200
    assert api.json()["split"]["decision"]["variant"] == "b"
    with pytest.raises(ActionError, match="already decided"):
        do_pick_winner("spring", "a", clock.now())
    again = CliRunner().invoke(main, ["campaign", "pick-winner", "spring", "a"])
    assert again.exit_code == 1 and "already decided" in again.output
    with pytest.raises(ActionError, match="not a variant"):
        do_pick_winner("spring", "holdout", clock.now())


def test_an_editor_picks_the_winner_in_the_console_and_a_viewer_cannot() -> None:
    do_apply_campaign(split_source("spring", winner=None))
    viewer = signed_in("viewer")
    page = viewer.get("/app/campaigns/spring").content.decode()
    assert "runs until a winner is picked" in page and "winner-form" not in page
    refused = viewer.post("/app/campaigns/spring/winner", {"variant": "a"})
    assert refused.status_code == 403
    assert SplitDecision.objects.count() == 0

    editor = signed_in("editor")
    assert 'id="winner-form"' in editor.get("/app/results?campaign=spring").content.decode()
    bad = editor.post("/app/campaigns/spring/winner", {"variant": "holdout"})
    assert bad.status_code == 400 and "variant" in bad.content.decode()
    done = editor.post("/app/campaigns/spring/winner", {"variant": "b", "back": "results"})
    assert done.status_code == 302 and done["Location"] == "/app/results?campaign=spring"
    decision = SplitDecision.objects.get()
    assert (decision.variant, decision.decided_by) == ("b", "user:editor@example.com")
    again = editor.post("/app/campaigns/spring/winner", {"variant": "a"})
    assert again.status_code == 400 and "already decided" in again.content.decode()
    entry = AuditEntry.objects.get(action="campaign.split_decided")
    assert entry.actor == "user:editor@example.com" and (entry.after or {})["variant"] == "b"

    for path in ("/app/campaigns/spring", "/app/results?campaign=spring"):
        shown = viewer.get(path).content.decode()
        assert "Split pick decided for b" in shown, path
        assert "winner-form" not in shown
    contact = people("ana")["ana@example.com"]
    simulated = viewer.get("/app/campaigns/spring/simulate?email=ana@example.com&days=3")
    assert simulated.status_code == 200, contact
    text = simulated.content.decode()
    assert "the split being decided for b" in text


@pytest.mark.postgres
def test_two_workers_deciding_at_once_write_one_decision(clock: ManualClock) -> None:
    """Each pass in its own thread and database connection, released together (PostgreSQL:
    SQLite takes one writer at a time, and a second pass sees the first one's row)."""
    do_apply_campaign(split_source("spring"))
    campaign = Campaign.objects.get(key="spring")
    ids = people(*(f"p{i}" for i in range(40)))
    for n, contact_id in enumerate(ids.values()):
        journey = enroll(campaign, Contact.objects.get(id=contact_id), "ab"[n % 2])
        deliver(journey, f"send-{journey.variant}", T0, **({"clicks": 1} if n % 2 == 0 else {}))
    start = threading.Barrier(2)
    made: list[int] = []

    def decide() -> None:
        try:
            start.wait()
            made.append(do_decide_splits(clock.now()))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == [0, 1]
    assert SplitDecision.objects.get().variant == "a"
    assert AuditEntry.objects.filter(action="campaign.split_decided").count() == 1
