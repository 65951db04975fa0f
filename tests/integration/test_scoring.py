"""Lead scoring against the database: rules, daily caps, decay on a virtual clock, the hand-off
to sales (one notification and one webhook row), round robin, cooling and re-heating."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.db import transaction
from django.test import Client
from django.utils import timezone
from tests.integration.flow_helpers import Inbox, close_worker, make_worker
from tests.integration.webhook_receiver import WebhookReceiver
from tests.smtp_sink import SmtpSink

from goteo.actions.api_keys import do_create_api_key
from goteo.actions.handoff import TURN_KEY
from goteo.actions.scoring import (
    add_points,
    decay_tick,
    do_apply_scoring,
    do_rescore,
    hot_leads,
    score_events,
)
from goteo.campaigns.models import Delivery, Setting
from goteo.channels.email.composer import Composer, Sender
from goteo.cli import main
from goteo.contacts.event_facts import EventFact
from goteo.contacts.models import Contact, Event, ScoreEntry
from goteo.content.system import SYSTEM_MESSAGES
from goteo.engine.clock import ManualClock

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
RULES = """\
half_life: 30d
threshold: 50
rules:
  - {event: page_view, where: {url: {contains: /pricing}}, points: 5, max_per_day: 3}
  - {event: purchase, points: 20}
  - {event: clicked, points: 2}
  - {event: unsubscribed, points: -30}
owners:
  - {email: ana@example.com, when: {locale: es}}
  - {email: bob@example.com}
  - {email: carl@example.com}
notify: true
webhook: https://crm.example/hooks/goteo
"""


def person(email: str, **fields: Any) -> Contact:
    return Contact.objects.create(email=email, **fields)


def event(contact: Contact | None, name: str, at: datetime, **props: Any) -> EventFact:
    row = Event.objects.create(
        contact=contact, name=name, properties=props, occurred_at=at, received_at=at
    )
    return EventFact(row.id, contact.id if contact else None, name, at, props)


def score(facts: list[EventFact], now: datetime) -> None:
    with transaction.atomic():  # as react() calls it: inside the transaction storing events
        score_events(facts, now)


def fresh(contact: Contact) -> Contact:
    return Contact.objects.get(id=contact.id)


def handoffs(contact: Contact) -> list[tuple[str, str]]:
    rows = Delivery.objects.filter(contact=contact).order_by("id")
    return [(d.kind, d.step_id) for d in rows]


def test_rules_score_matching_events_and_record_why() -> None:
    do_apply_scoring(RULES)
    ana, bob = person("ana.lead@example.com"), person("bob.lead@example.com")
    facts = [
        event(ana, "page_view", T0, url="https://shop.example/pricing"),
        event(ana, "page_view", T0, url="https://shop.example/blog"),
        event(ana, "purchase", T0, value=30),
        event(bob, "clicked", T0, url="https://x.example"),
        event(bob, "unsubscribed", T0),
        event(None, "purchase", T0),  # an anonymous visitor: nobody to score
        event(bob, "signed_up", T0),  # no rule for it
    ]
    score(facts, T0)
    assert fresh(ana).score == 25 and fresh(ana).score_updated_at == T0
    assert fresh(bob).score == -28
    entries = ScoreEntry.objects.order_by("contact_id", "id")
    assert [(e.contact_id, e.points, e.reason, e.event_id) for e in entries] == [
        (ana.id, 5.0, "rule:page_view", facts[0].id),
        (ana.id, 20.0, "rule:purchase", facts[2].id),
        (bob.id, 2.0, "rule:clicked", facts[3].id),
        (bob.id, -30.0, "rule:unsubscribed", facts[4].id),
    ]
    assert Delivery.objects.count() == 0  # nobody reached the threshold


def test_without_rules_events_change_nothing() -> None:
    ana = person("ana.lead@example.com")
    score([event(ana, "purchase", T0)], T0)
    assert fresh(ana).score == 0 and ScoreEntry.objects.count() == 0


def test_max_per_day_holds_within_a_batch_across_batches_and_resets_the_next_day() -> None:
    do_apply_scoring(RULES.replace("half_life: 30d\n", ""))  # no decay: plain sums
    ana = person("ana.lead@example.com")

    def views(n: int, at: datetime) -> list[EventFact]:
        return [event(ana, "page_view", at, url="/pricing") for _ in range(n)]

    score(views(5, T0), T0)
    assert fresh(ana).score == 15
    score(views(2, T0 + timedelta(hours=3)), T0 + timedelta(hours=3))
    assert fresh(ana).score == 15  # three already today
    score([event(ana, "purchase", T0)], T0 + timedelta(hours=4))
    assert fresh(ana).score == 35  # other rules are not capped
    tomorrow = datetime(2026, 3, 11, 0, 5, tzinfo=UTC)
    score(views(4, tomorrow), tomorrow)
    assert fresh(ana).score == 50
    per_day = Counter(
        e.created_at.date() for e in ScoreEntry.objects.filter(reason="rule:page_view")
    )
    assert sorted(per_day.values()) == [3, 3]


def test_scores_decay_with_the_half_life_on_a_virtual_clock() -> None:
    do_apply_scoring(RULES)
    ana = person("ana.lead@example.com")
    score([event(ana, "purchase", T0), event(ana, "purchase", T0)], T0)
    assert fresh(ana).score == 40
    later = T0 + timedelta(days=30)
    score([event(ana, "purchase", later)], later)
    stored = fresh(ana)
    assert stored.score == pytest.approx(40)  # 40 halved to 20, plus 20
    assert stored.score_updated_at == later
    assert hot_leads(later) == []  # 40 < 50: not hot
    assert add_points(ana.id, 5, "manual", later + timedelta(days=60)) == pytest.approx(15)
    entry = ScoreEntry.objects.order_by("-id").first()
    assert entry is not None and (entry.points, entry.reason, entry.event_id) == (5, "manual", None)


def test_crossing_the_threshold_hands_over_once_with_one_email_and_one_webhook() -> None:
    do_apply_scoring(RULES)
    lead = person("maria@example.com", first_name="María", locale="es", tags=["trial"])
    score([event(lead, "page_view", T0, url="/pricing", title="Plans")], T0)
    assert fresh(lead).hot_at is None
    at = T0 + timedelta(hours=1)
    buys = [event(lead, "purchase", at, value=99), *[event(lead, "purchase", at) for _ in "ab"]]
    score([*buys, event(lead, "clicked", at)], at)
    hot = fresh(lead)
    assert hot.hot_at == at and hot.owner == "ana@example.com"  # by her locale
    assert handoffs(lead) == [("notification", "handoff-1"), ("webhook", "handoff-webhook-1")]
    note, hook = Delivery.objects.filter(contact=lead).order_by("id")
    assert (note.channel, note.template, note.locale, note.campaign_id, note.enrollment_id) == (
        "email",
        "lead-handoff",
        "en",
        None,
        None,
    )
    assert note.status == "pending" and note.next_attempt_at == at and note.created_at == at
    context = note.context
    assert context["to"] == "ana@example.com" and context["lead"]["email"] == "maria@example.com"
    assert context["score"] == 67  # 5 an hour old (4.995), 3 x 20 and 2
    names = [e["name"] for e in context["events"]]
    assert names == ["clicked", "purchase", "purchase", "purchase", "page_view"]
    assert context["events"][4]["details"] == "url: /pricing, title: Plans"
    assert [c["reason"] for c in context["score_changes"]][-1] == "rule:page_view"
    assert (hook.channel, hook.template, hook.locale) == ("webhook", "", "")
    assert hook.context["url"] == "https://crm.example/hooks/goteo"
    payload = hook.context["payload"]
    assert payload["type"] == "lead.hot" and payload["owner"] == "ana@example.com"
    assert payload["contact"]["tags"] == ["trial"] and payload["hot_at"] == at.isoformat()
    assert [e["name"] for e in payload["history"]["events"]] == names

    # More activity while hot: points add up, no second hand-off.
    score([event(lead, "purchase", at + timedelta(hours=1))], at + timedelta(hours=1))
    assert len(handoffs(lead)) == 2 and fresh(lead).hot_at == at


def test_the_owner_email_renders_with_the_leads_history() -> None:
    do_apply_scoring(RULES)
    lead = person("maria@example.com", first_name="María", last_name="<Ruiz>", locale="es")
    facts = [event(lead, "purchase", T0, value=10) for _ in range(3)]
    score(facts, T0)
    note = Delivery.objects.get(contact=lead, kind="notification")
    sender = Sender("Goteo <news@goteo.example.com>", "http://testserver", "secret")
    row = {
        "id": lead.id,
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "locale": lead.locale,
        "timezone": lead.timezone,
        "attributes": lead.attributes,
    }
    message = Composer(sender).compose(
        note.id, SYSTEM_MESSAGES, note.template, note.locale, row, extra=note.context,
        marketing=False,
    )  # fmt: skip
    assert message.subject == "Hot lead for you: maria@example.com (score 60)"
    html = " ".join(message.html.split())
    assert "María &lt;Ruiz&gt; (maria@example.com) crossed" in html
    assert "threshold of 50 on 2026-03-10 09:00 UTC with a score of 60" in html
    assert html.count("2026-03-10 09:00 UTC: purchase (value: 10)</li>") == 3
    assert "rule:purchase" in message.text and "List-Unsubscribe" not in message.headers


def test_round_robin_is_fair_and_keeps_its_turn_between_batches() -> None:
    do_apply_scoring(RULES)
    leads = [person(f"lead{i}@example.com", locale="fr") for i in range(7)]
    spanish = person("lola@example.com", locale="es")
    score([event(c, "purchase", T0) for c in leads[:3] for _ in range(3)], T0)
    score([event(spanish, "purchase", T0) for _ in range(3)], T0)
    score([event(c, "purchase", T0) for c in leads[3:] for _ in range(3)], T0)
    owners = [fresh(c).owner for c in leads]
    assert owners == ["bob@example.com", "carl@example.com"] * 3 + ["bob@example.com"]
    assert fresh(spanish).owner == "ana@example.com"  # a condition, not a turn
    assert Setting.objects.get(key=TURN_KEY).value == "7"
    assert Delivery.objects.filter(kind="notification").count() == 8


def test_a_lead_cools_under_the_threshold_and_is_handed_over_again_when_it_recrosses() -> None:
    do_apply_scoring(RULES)
    lead = person("lead@example.com")
    score([event(lead, "purchase", T0) for _ in range(3)], T0)  # 60 points
    assert fresh(lead).owner == "bob@example.com"
    assert decay_tick(T0 + timedelta(days=7)) == 0 and fresh(lead).hot_at == T0
    assert [r["email"] for r in hot_leads(T0 + timedelta(days=7))] == ["lead@example.com"]
    # 60 * 0.5 ** (d / 30) < 50 after about 7.9 days.
    assert hot_leads(T0 + timedelta(days=8)) == []  # listed no more, even before the tick
    assert decay_tick(T0 + timedelta(days=8)) == 1
    cold = fresh(lead)
    assert cold.hot_at is None and cold.score == 60  # the stored value is as of T0
    assert len(handoffs(lead)) == 2

    others = [person("o1@example.com"), person("o2@example.com")]  # carl's turn, then bob's
    score([event(o, "purchase", T0) for o in others for _ in "abc"], T0 + timedelta(days=9))
    assert [fresh(o).owner for o in others] == ["carl@example.com", "bob@example.com"]
    back = T0 + timedelta(days=10)
    score([event(lead, "clicked", back)], back)
    assert fresh(lead).hot_at is None  # 47.6 + 2 is still under 50
    score([event(lead, "purchase", back)], back)
    again = fresh(lead)
    assert again.hot_at == back and again.owner == "bob@example.com"  # same owner, not carl
    assert handoffs(lead)[2:] == [
        ("notification", "handoff-2"),
        ("webhook", "handoff-webhook-2"),
    ]


def test_add_points_crosses_both_ways() -> None:
    do_apply_scoring(RULES)
    lead = person("lead@example.com")
    assert add_points(lead.id, 55, "campaign welcome: step score-1", T0) == 55
    assert fresh(lead).hot_at == T0 and len(handoffs(lead)) == 2
    assert add_points(lead.id, -10, "manual", T0) == 45
    assert fresh(lead).hot_at is None
    assert add_points(lead.id, 10, "manual", T0) == 55
    assert [k for k, _ in handoffs(lead)] == ["notification", "webhook"] * 2
    reasons = list(ScoreEntry.objects.order_by("id").values_list("reason", "points"))
    assert reasons == [("campaign welcome: step score-1", 55), ("manual", -10), ("manual", 10)]


def test_rescore_decays_everyone_and_hands_over_under_a_lower_threshold() -> None:
    do_apply_scoring(RULES)
    a, b, c = person("a@example.com"), person("b@example.com"), person("c@example.com")
    add_points(a.id, 40, "manual", T0)
    add_points(b.id, 60, "manual", T0)
    add_points(c.id, 20, "manual", T0)
    assert [fresh(x).hot_at is not None for x in (a, b, c)] == [False, True, False]
    do_apply_scoring(RULES.replace("threshold: 50", "threshold: 15"))
    later = T0 + timedelta(days=30)
    result = do_rescore(later)
    assert (result.contacts, result.hot, result.cold) == (3, 1, 0)
    assert [round(fresh(x).score, 6) for x in (a, b, c)] == [20, 30, 10]
    assert [fresh(x).hot_at is not None for x in (a, b, c)] == [True, True, False]
    assert fresh(a).hot_at == later and fresh(b).hot_at == T0
    assert all(fresh(x).score_updated_at == later for x in (a, b, c))
    assert Delivery.objects.filter(kind="notification").count() == 2

    result = do_rescore(later + timedelta(days=30))  # a: 10, b: 15, c: 5
    assert (result.contacts, result.hot, result.cold) == (3, 0, 1)
    assert [fresh(x).hot_at is not None for x in (a, b, c)] == [False, True, False]


def test_no_owner_fits_the_lead_is_hot_and_only_the_webhook_is_called() -> None:
    do_apply_scoring(
        "threshold: 10\nowners: [{email: ana@example.com, when: {locale: es}}]\n"
        "notify: true\nwebhook: https://crm.example/in\nrules: [{event: purchase, points: 10}]\n"
    )
    lead = person("lead@example.com", locale="en")
    score([event(lead, "purchase", T0)], T0)
    hot = fresh(lead)
    assert hot.hot_at == T0 and hot.owner == ""
    assert handoffs(lead) == [("webhook", "handoff-webhook-1")]


AUTH = {"Authorization": "Bearer test-api-key"}


def test_the_hot_leads_api_lists_current_scores_by_owner(client: Client) -> None:
    do_apply_scoring(RULES)
    now = timezone.now()
    top, second = person("top@example.com"), person("second@example.com", locale="es")
    faded, cold = person("faded@example.com"), person("cold@example.com")
    add_points(top.id, 90, "manual", now - timedelta(hours=1))
    add_points(second.id, 70, "manual", now - timedelta(hours=1))
    add_points(faded.id, 60, "manual", now - timedelta(days=40))  # hot then, ~24 now
    add_points(cold.id, 30, "manual", now)
    event(second, "page_view", now - timedelta(minutes=5), url="/docs")

    assert client.get("/api/v1/leads/hot").status_code == 401
    response = client.get("/api/v1/leads/hot", headers=AUTH)
    assert response.status_code == 200
    leads = response.json()["leads"]
    assert [lead["email"] for lead in leads] == ["top@example.com", "second@example.com"]
    assert leads[0]["score"] == pytest.approx(90 * 0.5 ** (1 / 720), abs=0.01)
    assert leads[0]["owner"] == "bob@example.com" and leads[0]["last_activity"] is None
    assert leads[1]["owner"] == "ana@example.com"
    assert leads[1]["last_activity"] is not None and leads[1]["hot_at"] is not None

    only_ana = client.get("/api/v1/leads/hot?owner=Ana@Example.com", headers=AUTH).json()
    assert [lead["email"] for lead in only_ana["leads"]] == ["second@example.com"]
    one = client.get("/api/v1/leads/hot?limit=1", headers=AUTH).json()["leads"]
    assert [lead["email"] for lead in one] == ["top@example.com"]
    bad = client.get("/api/v1/leads/hot?limit=0", headers=AUTH)
    assert bad.status_code == 400 and "limit" in bad.json()["fields"]

    reader = do_create_api_key("crm", ["leads:read"], now).key
    other = do_create_api_key("shop", ["events:write"], now).key
    ok = client.get("/api/v1/leads/hot", headers={"Authorization": f"Bearer {reader}"})
    assert ok.status_code == 200 and len(ok.json()["leads"]) == 2
    refused = client.get("/api/v1/leads/hot", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and "leads:read" in refused.json()["error"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_the_command_line_applies_shows_rescores_and_lists(tmp_path: Path) -> None:
    good, bad = tmp_path / "scoring.yaml", tmp_path / "bad.yaml"
    good.write_text(RULES, encoding="utf-8")
    bad.write_text("threshold: lots\nrules:\n  - {event: purchase}\n", encoding="utf-8")
    assert run("scoring", "validate", str(good)) == (0, f"{good}: valid (4 rules)\n")
    code, out = run("scoring", "apply", str(bad), "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert [(p["line"], p["path"]) for p in problems] == [(1, "threshold"), (3, "rules[0]")]
    assert run("scoring", "show")[0] == 1  # nothing applied: the bad file changed nothing
    assert run("scoring", "apply", str(good)) == (0, "scoring: created\n")
    assert run("scoring", "apply", str(good)) == (0, "scoring: unchanged\n")
    assert run("scoring", "show") == (0, RULES)

    lead, other = person("lead@example.com"), person("other@example.com", locale="es")
    add_points(lead.id, 80, "manual", T0)
    add_points(other.id, 45, "manual", T0)
    code, out = run("leads", "hot", "--json", "--now", T0.isoformat())
    assert code == 0
    assert [(r["email"], r["score"], r["owner"]) for r in json.loads(out)] == [
        ("lead@example.com", 80, "bob@example.com")
    ]
    table_out = run("leads", "hot", "--owner", "bob@example.com", "--now", "2026-03-10T09:00")[1]
    assert "lead@example.com  80.0   bob@example.com  2026-03-10 09:00" in table_out
    assert run("leads", "hot", "--owner", "ana@example.com")[1] == "no hot leads\n"

    Setting.objects.filter(key="scoring").update(value=RULES.replace("50", "40"))
    code, out = run("scoring", "rescore", "--now", (T0 + timedelta(days=1)).isoformat())
    assert (code, out) == (0, "rescored 2 contacts: 1 became hot, 0 went cold\n")
    assert fresh(other).owner == "ana@example.com"
    assert run("scoring", "rescore", "--now", "yesterday")[0] == 1


def test_events_posted_to_the_api_are_scored_once_even_when_sent_twice(client: Client) -> None:
    do_apply_scoring(RULES)
    batch = {
        "events": [
            {"email": "shop@example.com", "name": "purchase", "idempotency_key": f"order-{n}"}
            for n in range(3)
        ]
    }
    for _ in range(2):  # the shop retries the whole batch: nothing is scored twice
        response = client.post(
            "/api/v1/events", data=json.dumps(batch), content_type="application/json",
            headers=AUTH,
        )  # fmt: skip
        assert response.status_code in (200, 207), response.content
    lead = Contact.objects.get(email="shop@example.com")
    assert ScoreEntry.objects.filter(contact=lead).count() == 3
    assert lead.score == pytest.approx(60, abs=0.01) and lead.hot_at is not None
    assert [k for k, _ in handoffs(lead)] == ["notification", "webhook"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_emails_the_owner_and_calls_the_crm(smtp_sink: SmtpSink) -> None:
    crm = WebhookReceiver()
    try:
        do_apply_scoring(RULES.replace("https://crm.example/hooks/goteo", crm.url))
        lead = person("maria@example.com", first_name="María", locale="es")
        score([event(lead, "purchase", T0, value=25) for _ in range(3)], T0)
        worker = make_worker(smtp_sink, ManualClock(T0))
        try:
            worker.run_until_idle()
        finally:
            close_worker(worker)
    finally:
        crm.stop()
    (mail,) = Inbox(smtp_sink).all()
    assert mail["to"].addresses[0].addr_spec == "ana@example.com"
    assert str(mail["subject"]) == "Hot lead for you: maria@example.com (score 60)"
    assert mail["List-Unsubscribe"] is None
    (call,) = crm.calls
    assert call.json["type"] == "lead.hot" and call.json["contact"]["email"] == lead.email
    assert call.json["owner"] == "ana@example.com" and call.json["score"] == 60
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
