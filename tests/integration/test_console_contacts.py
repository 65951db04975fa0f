"""The web app's contacts: the list (search, condition, keyset pages), a contact's timeline,
import with column mapping and its report, the CSV download, data export and erasure; and
what a viewer may not do, posted directly."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.http import StreamingHttpResponse
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import T0, apply, run_now, simple_template

from goteo.accounts.models import AuditEntry
from goteo.actions.contact_timeline import contact_timeline
from goteo.actions.contacts import do_upsert_contact
from goteo.actions.events import EventInput, do_record_events
from goteo.actions.import_jobs import do_upload_import
from goteo.actions.subscriptions import do_subscribe
from goteo.console import contact_views
from goteo.contacts.models import Contact, ContactImport, ScoreEntry, Suppression
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db
XSS = '<img src=x onerror="alert(1)">'
CSV = (
    "E-mail,Given name,Favourite colour,Notes\r\n"
    "ana@example.com,Ana,teal,x\r\n"
    "not-an-address,Bob,red,y\r\n"
    "cara@example.com,Cara,'=1+1,z\r\n"
)


def _add(email: str, **fields: object) -> int:
    return do_upsert_contact({"email": email, **fields}).contact.id


def test_search_condition_errors_and_pages_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contact_views, "CONTACT_ROWS", 2)
    for i in range(5):
        _add(f"p{i}@example.com", first_name="Pat" if i % 2 else "Lee", locale="es")
    _add("other@example.com", first_name=XSS, locale="en")
    _add("xp1@example.com", locale="en")  # contains p1@example.com, is not it
    client = signed_in("viewer")

    page = client.get("/app/contacts", {"q": "pat"}).content.decode()
    assert "p1@example.com" in page and "p3@example.com" in page and "p0@" not in page
    whole = client.get("/app/contacts", {"q": " P1@Example.com"})  # that contact alone
    assert [c["email"] for c in whole.context["rows"]] == ["p1@example.com"]
    part = client.get("/app/contacts", {"q": "1@example."})
    assert [c["email"] for c in part.context["rows"]] == ["p1@example.com", "xp1@example.com"]
    first = client.get("/app/contacts", {"where": "{locale: es}"})
    text = first.content.decode()
    assert "p0@example.com" in text and "p1@example.com" in text and "p2@" not in text
    assert 'rel="prev"' not in text
    after = first.context["next_cursor"]
    second = client.get("/app/contacts", {"where": "{locale: es}", "after": after})
    assert [c["email"] for c in second.context["rows"]] == ["p2@example.com", "p3@example.com"]
    back = client.get(
        "/app/contacts", {"where": "{locale: es}", "before": second.context["previous_cursor"]}
    )
    assert [c["email"] for c in back.context["rows"]] == ["p0@example.com", "p1@example.com"]
    assert back.context["previous_cursor"] is None  # the first page again

    bad = client.get("/app/contacts", {"where": "{locale: {near: es}}"})
    assert bad.status_code == 400
    assert "where" in bad.content.decode()  # the parser's message names the field

    listed = client.get("/app/contacts", {"q": "other"}).content.decode()
    assert XSS not in listed and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in listed


@pytest.mark.django_db(transaction=True)  # the worker sends from a thread of its own
def test_the_timeline_merges_every_kind_newest_first_and_pages(worker: Worker) -> None:
    apply(
        "welcome",
        [{"send": "email", "template": "hello"}],
        {"hello": simple_template("Hello")},
        trigger={"subscribed": "news"},
    )
    contact_id = _add("tim@example.com", first_name="Tim")
    do_subscribe([contact_id], "news", datetime.now(UTC))
    run_now(worker)
    now = datetime.now(UTC)
    do_record_events([EventInput(name="page_view", contact_id=contact_id)], now)
    for points in (1, 2, 3):  # three at the same instant: the cursor must keep them apart
        ScoreEntry.objects.create(contact_id=contact_id, points=points, reason="r", created_at=T0)

    whole = contact_timeline(contact_id, 200)
    kinds = [e.kind for e in whole.entries]
    assert {"event", "message", "exposure", "journey", "score"} <= set(kinds)
    assert kinds[0] == "event" and kinds[-3:] == ["score"] * 3  # newest first
    message = next(e for e in whole.entries if e.kind == "message")
    assert message.facts["subject"] == "Hello" and message.facts["status"] == "sent"
    assert whole.next_cursor is None

    seen, cursor = [], None
    while True:
        page = contact_timeline(contact_id, 2, cursor)
        seen += [(e.kind, e.id) for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [(e.kind, e.id) for e in whole.entries]

    client = signed_in("viewer")
    html = client.get(f"/app/contacts/{contact_id}").content.decode()
    assert 'hx-trigger="every 3s"' in html and "Hello" in html and "page_view" in html
    fragment = client.get(f"/app/contacts/{contact_id}/timeline").content.decode()
    assert fragment.startswith('<div id="timeline"') and "page_view" in fragment


def _wait_for(job_id: int) -> None:
    for thread in threading.enumerate():
        if thread.name == f"import-{job_id}":
            thread.join(timeout=60)


@pytest.mark.django_db(transaction=True)  # the import runs in a thread of its own
def test_import_guesses_columns_runs_and_reports_each_bad_line() -> None:
    editor = signed_in("editor")
    upload = editor.post("/app/contacts/import", {"file": io.BytesIO(CSV.encode())})
    assert upload.status_code == 302
    job = ContactImport.objects.get()
    assert job.columns == {
        "E-mail": "email",
        "Given name": "first_name",
        "Favourite colour": "favourite_colour",
        "Notes": "notes",
    }
    mapping = editor.get(upload["Location"]).content.decode()
    assert "teal" in mapping  # the first rows, to check the guesses against
    refused = editor.post(upload["Location"], {"column-0": ""})  # no email column
    assert refused.status_code == 400 and "email" in refused.content.decode()

    chosen = {"column-0": "email", "column-1": "first_name", "column-2": "colour"}
    assert editor.post(upload["Location"], chosen).status_code == 302  # Notes: skipped
    _wait_for(job.id)
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.created, job.rejected) == ("done", 3, 3, 2, 1)
    assert [line for line, _ in job.errors] == [3] and job.errors[0][1].startswith("email:")
    ana = Contact.objects.get(email="ana@example.com")
    assert ana.first_name == "Ana" and ana.attributes == {"colour": "teal"}
    # an export's apostrophe is taken away, as by the command line's import
    assert Contact.objects.get(email="cara@example.com").attributes == {"colour": "=1+1"}
    report = editor.get(f"/app/contacts/import/{job.id}/progress").content.decode()
    assert 'value="100"' in report and '<td class="num">3</td>' in report
    entry = AuditEntry.objects.get(action="contact.import")
    assert entry.actor == "user:editor@example.com"
    assert entry.after == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
        "import": job.id,
    }


def test_the_download_is_streamed_and_neutralised() -> None:
    _add("eve@example.com", first_name="=HYPERLINK(1)", attributes={"plan": "@SUM(1)"})
    _add("zed@example.com", first_name="Zed")
    response = signed_in("viewer").get("/app/contacts.csv", {"q": "eve"})
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(bytes(chunk) for chunk in response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == "plan" and len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(1)" and rows[1][-1] == "'@SUM(1)"


def test_data_export_and_a_confirmed_erase_audited() -> None:
    contact_id = _add("gone@example.com", first_name="Gone")
    editor = signed_in("editor")
    exported = editor.get(f"/app/contacts/{contact_id}/export")
    assert json.loads(exported.content)["contact"]["email"] == "gone@example.com"
    url = f"/app/contacts/{contact_id}/erase"
    assert editor.get(url).status_code == 200
    assert editor.post(url, {"confirm": "someone@else.com"}).status_code == 400
    assert Contact.objects.filter(id=contact_id).exists()
    assert editor.post(url, {"confirm": "Gone@example.com "}).status_code == 302
    assert not Contact.objects.filter(id=contact_id).exists()
    assert Suppression.objects.filter(reason="erased").count() == 1
    entry = AuditEntry.objects.get(action="contact.erase")
    assert entry.actor == "user:editor@example.com" and entry.target.startswith("erased:")
    assert "gone@" not in json.dumps(list(AuditEntry.objects.values()), default=str)


def test_a_viewer_cannot_import_start_an_import_or_erase() -> None:
    contact_id = _add("keep@example.com")
    viewer = signed_in("viewer", "viewer2@example.com")
    upload = viewer.post("/app/contacts/import", {"file": io.BytesIO(CSV.encode())})
    assert upload.status_code == 403 and not ContactImport.objects.exists()
    old = do_upload_import([CSV.encode()], "old.csv")  # left without its columns for a day
    ContactImport.objects.filter(id=old.id).update(started_at=old.started_at - timedelta(days=2))
    job = do_upload_import([CSV.encode()], "contacts.csv")
    old.refresh_from_db()
    assert old.status == "failed" and not Path(old.path).exists() and Path(job.path).exists()
    start = viewer.post(f"/app/contacts/import/{job.id}", {"column-0": "email"})
    assert start.status_code == 403
    assert ContactImport.objects.get(id=job.id).status == "mapping"
    erase = viewer.post(f"/app/contacts/{contact_id}/erase", {"confirm": "keep@example.com"})
    assert erase.status_code == 403 and Contact.objects.filter(id=contact_id).exists()
    assert not AuditEntry.objects.filter(action__in=["contact.erase", "contact.import"]).exists()
