"""The web app's campaign pages: the flow diagram's data and its table."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import timezone
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import add_contacts, apply, run_now, simple_template

from goteo.actions.enroll import do_enroll
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
