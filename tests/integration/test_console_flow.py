"""The web app's campaign pages: the flow diagram's data and its table."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import timezone
from django.utils.html import escape
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import add_contacts, apply, run_now, simple_template

from goteo.accounts.models import AuditEntry
from goteo.actions.enroll import do_enroll
from goteo.campaigns.models import Campaign
from goteo.campaigns.versions import check_document
from goteo.engine.problems import CampaignInvalid
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)

STEPS: list[dict[str, Any]] = [
    {"id": "hello", "send": "email", "template": "hello"},
    {"id": "vip", "branch": {"attributes.plan": "vip"}, "then": "done"},
    {"id": "pause", "wait": "2d"},
    {"id": "second", "send": "email", "template": "hello"},
    {"id": "done", "exit": "a VIP"},
]


def flow_of(page: str) -> dict[str, dict[str, int]]:
    found = re.search(r'<script id="flow-data" type="application/json">(.*?)</script>', page)
    assert found, page
    data = json.loads(found[1])
    return {n["id"]: n["counts"] for n in data["graph"]["nodes"]}


def test_the_diagram_carries_each_steps_figures_and_the_table_the_same(worker: Worker) -> None:
    apply("flow", STEPS, {"hello": simple_template("Hello")})
    ids = add_contacts(
        {"email": "ana@example.com", "attributes": {"plan": "vip"}},
        {"email": "ben@example.com"},
    )
    do_enroll("flow", list(ids.values()), timezone.now())
    run_now(worker)
    page = signed_in("viewer").get("/app/campaigns/flow").content.decode()
    counts = flow_of(page)
    assert counts["hello"] == {
        "waiting": 0, "sent": 2, "opened": 0, "clicked": 0, "converted": 0, "exited": 0,
    }  # fmt: skip
    assert counts["pause"]["waiting"] == 1  # ben waits two days
    assert counts["done"]["exited"] == 1  # ana left at the exit step
    assert counts["@start"] == {}
    table = page.split('id="flow-table"')[1].split("</table>")[0]
    rows = re.findall(r'<tr><th scope="row"><code>([a-z]+)</code>(.*?)</tr>', table, re.S)
    numbers = {step: re.findall(r'<td class="num">(\d+)</td>', cells) for step, cells in rows}
    assert numbers["hello"] == ["0", "2", "0", "0", "0", "0"]
    assert numbers["pause"] == ["1", "0", "0", "0", "0", "0"]
    assert numbers["done"] == ["0", "0", "0", "0", "0", "1"]
    assert "elkjs-0.12.1/elk.bundled.js" in page


NEW = """\
key: fresh
name: Fresh
trigger: {subscribed: news}
steps:
  - id: hello
    send: email
    template: hello
  - wait: 2 dayz
templates:
  hello: {en: {subject: Hi, html: "<p>Hi <a href='{{ unsubscribe_url }}'>bye</a></p>"}}
"""


def test_the_editor_validates_with_the_parsers_lines_and_saves_a_version() -> None:
    client = signed_in("editor")
    assert "key: new-campaign" in client.get("/app/editor").content.decode()
    panel = client.post("/app/editor/check", {"source": NEW}).content.decode()
    with pytest.raises(CampaignInvalid) as refusal:  # what goteo campaign validate says
        check_document(NEW)
    (problem,) = refusal.value.problems
    assert str(problem).startswith("line 8: steps[1].wait: '2 dayz' is not a duration")
    assert f"<li>{escape(str(problem))}</li>" in panel
    refused = client.post("/app/editor/save", {"source": NEW})
    assert refused.status_code == 400 and not Campaign.objects.exists()
    assert "2 dayz" in refused.content.decode()  # the document given back, nothing lost
    fixed = NEW.replace("2 dayz", "2d")
    assert 'id="valid"' in client.post("/app/editor/check", {"source": fixed}).content.decode()
    saved = client.post("/app/editor/save", {"source": fixed})
    assert saved["Location"] == "/app/campaigns/fresh"
    entry = AuditEntry.objects.get(action="campaign.apply")
    assert (entry.actor, entry.target) == ("user:editor@example.com", "fresh")
    again = client.post("/app/editor/save", {"source": fixed})  # a new campaign, twice
    assert again.status_code == 400 and "&#x27;fresh&#x27; already exists" in again.content.decode()
    edited = fixed.replace("name: Fresh", "name: Fresher")
    page = client.get("/app/campaigns/fresh/edit").content.decode()
    assert "name: Fresh\n" in page
    saved = client.post("/app/editor/save", {"source": edited, "campaign": "fresh"})
    assert saved.status_code == 302
    current = Campaign.objects.get(key="fresh").current_version
    assert current is not None and current.number == 2
    other = edited.replace("key: fresh", "key: other")
    refused = client.post("/app/editor/save", {"source": other, "campaign": "fresh"})
    assert refused.status_code == 400 and not Campaign.objects.filter(key="other").exists()


def test_the_step_forms_rewrite_the_document_and_a_viewer_may_not_post_them() -> None:
    client = signed_in("editor")
    source = NEW.replace("2 dayz", "2d")
    add = {"source": source, "op": "add", "kind": "branch", "id": "pro",
           "condition": "{attributes.plan: pro}", "position": "1"}  # fmt: skip
    body = client.post("/app/editor/steps", add).content.decode()
    assert body.startswith('<div id="editor-body"') and "2. branch … (pro)" in body
    textarea = body.split("</textarea>")[0]
    assert "- id: pro\n  branch:\n    attributes.plan: pro\n- wait: 2d\n" in textarea  # YAML
    refused = client.post("/app/editor/steps", {"source": source, "op": "remove", "step": "7"})
    assert "step: there is no step 8" in refused.content.decode()
    viewer = signed_in("viewer", "vera@example.com")
    for route in ("editor/check", "editor/steps", "editor/save"):
        assert viewer.post(f"/app/{route}", {"source": source}).status_code == 403
    assert not Campaign.objects.exists()
    assert "readonly" in viewer.get("/app/editor").content.decode()


def test_the_editor_shows_a_hostile_document_as_text() -> None:
    client = signed_in("editor")
    hostile = "key: x\nname: </textarea><script>alert(1)</script>\n"
    page = client.post("/app/editor/save", {"source": hostile}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_versions_show_their_differences_and_the_editor_where_journeys_in_flight_stand(
    worker: Worker,
) -> None:
    apply("flow", STEPS, {"hello": simple_template("Hello")})
    ids = add_contacts({"email": "ana@example.com", "attributes": {"plan": "vip"}},
                       {"email": "ben@example.com"})  # fmt: skip
    do_enroll("flow", list(ids.values()), timezone.now())
    run_now(worker)  # ana exited; ben waits at "pause" on version 1
    client = signed_in("editor")
    current = Campaign.objects.get(key="flow").current_version
    assert current is not None
    changed = current.source.replace('"2d"', '"3d"').replace('"Flow"', '"<b>Flow</b>"')
    panel = client.post("/app/editor/check", {"source": changed, "campaign": "flow"})
    table = panel.content.decode().split('id="in-flight"')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table)
    assert cells == ["1", "<code>pause</code>", "1", "changed (they keep the old one)"]
    kept = client.post("/app/editor/check", {"source": current.source, "campaign": "flow"})
    assert "<td>the same</td>" in kept.content.decode()
    assert (
        client.post("/app/editor/save", {"source": changed, "campaign": "flow"}).status_code == 302
    )
    page = client.get("/app/campaigns/flow/versions").content.decode()
    assert '<span class="diff-del">-      &quot;wait&quot;: &quot;2d&quot;</span>' in page
    assert '<span class="diff-add">+      &quot;wait&quot;: &quot;3d&quot;</span>' in page
    assert "<b>Flow</b>" not in page and "&lt;b&gt;Flow&lt;/b&gt;" in page
    assert "/app/campaigns/flow/versions" in client.get("/app/campaigns/flow").content.decode()


def test_simulate_for_a_contact_runs_the_engine_with_the_contacts_own_fields() -> None:
    apply("flow", STEPS, {"hello": simple_template("Hello")})
    add_contacts({"email": "ana@example.com", "attributes": {"plan": "vip"}},
                 {"email": "ben@example.com", "timezone": "Europe/Madrid"})  # fmt: skip
    client = signed_in("viewer")
    page = client.get("/app/campaigns/flow/simulate?email=ana@example.com&days=5")
    rows = re.findall(r"<tr><td>.*?</tr>", page.content.decode(), re.S)
    kinds = [re.findall(r"</td><td>(.*?)</td>", r, re.S)[0] for r in rows]
    assert kinds == ["send", "branch", "end"]  # a VIP: straight to the exit
    assert "exited at exit step &#x27;done&#x27;: a VIP" in page.content.decode()
    ben = client.get("/app/campaigns/flow/simulate?email=BEN@example.com&days=5").content.decode()
    assert ben.count("email: hello (en)") == 2 and "+01:00" in ben  # his own time zone
    unknown = client.get("/app/campaigns/flow/simulate?email=nobody@example.com")
    assert unknown.status_code == 400 and "no contact" in unknown.content.decode()
    days = client.get("/app/campaigns/flow/simulate?email=ana@example.com&days=9999")
    assert days.status_code == 400 and "days: &#x27;9999&#x27;" in days.content.decode()
