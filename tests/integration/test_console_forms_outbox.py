"""The web app's forms (from their documents, through the action ``goteo form apply`` uses;
previewed; the embed snippet) and its outbox (filtered; caught messages shown safely)."""

from __future__ import annotations

import html
import mailbox
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from tests.integration.console_helpers import signed_in
from tests.integration.flow_helpers import people
from tests.integration.form_helpers import apply_form, form_source

from goteo.accounts.models import AuditEntry
from goteo.campaigns.models import Delivery
from goteo.campaigns.outbox import NewDelivery, enqueue_one
from goteo.contacts.models import Form
from goteo.forms.definition import FormInvalid, parse_form

pytestmark = pytest.mark.django_db


def test_a_viewer_reads_the_forms_but_cannot_apply_one() -> None:
    apply_form(key="signup")
    client = signed_in("viewer")
    listing = client.get("/app/forms").content.decode()
    assert "/app/forms/signup" in listing and "/app/form-document" not in listing
    assert client.get("/app/forms/signup").status_code == 200
    editor = client.get("/app/form-document").content.decode()
    assert "<textarea" not in editor  # the document shown, with nothing to apply it
    before = AuditEntry.objects.count()
    refused = client.post("/app/form-document/apply", {"source": form_source(key="other")})
    assert refused.status_code == 403
    assert not Form.objects.filter(key="other").exists()
    assert AuditEntry.objects.count() == before


def test_an_editor_applies_a_form_document_and_gets_its_preview_and_snippet() -> None:
    client = signed_in("editor")
    source = form_source(key="signup", name="Novedades <b>")
    response = client.post("/app/form-document/apply", {"source": source})
    assert response.status_code == 302
    assert response["Location"] == "/app/forms/signup?outcome=created"
    entry = AuditEntry.objects.get(action="form.apply")
    assert (entry.actor, entry.target, entry.before) == ("user:editor@example.com", "signup", None)
    assert entry.after is not None and entry.after["topics"] == ["news"]

    page = client.get(response["Location"])
    assert page["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self';")
    body = page.content.decode()
    assert "Novedades &lt;b&gt;" in body and "<b>" not in body.split("<main")[1].split("<iframe")[0]
    frame = re.search(r"<iframe[^>]*>", body)
    assert frame is not None and re.search(r"\bsandbox\b(?!=)", frame.group(0))
    public = html.unescape(re.search(r'srcdoc="([^"]*)"', frame.group(0)).group(1))  # type: ignore[union-attr]
    assert 'action="/f/signup"' in public
    snippet = re.search(r'<textarea id="snippet"[^>]*readonly[^>]*>([^<]*)</textarea>', body)
    assert snippet is not None
    assert "http://testserver/f/signup/submit" in html.unescape(snippet.group(1))
    again = client.post("/app/form-document/apply", {"source": source})
    assert again["Location"].endswith("outcome=unchanged")
    assert AuditEntry.objects.filter(action="form.apply").count() == 1  # nothing changed


def test_a_refused_document_shows_the_command_lines_problems_and_keeps_the_text() -> None:
    client = signed_in("admin")
    source = form_source(key="Bad Key", double_opt_in="sometimes")
    with pytest.raises(FormInvalid) as refused:
        parse_form(source)
    response = client.post("/app/form-document/apply", {"source": source})
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    for problem in refused.value.problems:
        assert f"<li>{problem}</li>" in body
    assert "Bad Key" in body.split("<textarea")[1]  # the text is kept to be mended
    assert not Form.objects.exists()


def _caught(folder: Path, subject: str, html_part: str) -> None:
    message = EmailMessage()
    message["Subject"], message["To"] = subject, "ana@example.com"
    message["Date"] = "Thu, 03 Dec 2026 12:00:00 +0000"
    message.set_content("plain words")
    message.add_alternative(html_part, subtype="html")
    box = mailbox.Maildir(folder, create=True)
    box.add(mailbox.MaildirMessage(message.as_bytes()))
    box.close()


def test_the_outbox_filters_by_channel_and_shows_caught_mail_in_a_sandbox(tmp_path: Path) -> None:
    ids = people("ana", "bea")
    for channel, contact in (("email", ids["ana@example.com"]), ("sms", ids["bea@example.com"])):
        row = NewDelivery(contact, "", channel, "t", "en", kind="transactional")
        queued = enqueue_one(row, timezone.now())
        # What the worker records of a sent message: its subject (an SMS's text).
        Delivery.objects.filter(id=queued).update(subject=f"{channel} <i>subject</i>")
    folder = tmp_path / "mailbox"
    _caught(folder, "Caught <script>", "<p>Hi</p><script>alert(1)</script>")
    client = signed_in("viewer")
    with override_settings(GOTEO_MAILBOX=str(folder)):
        page = client.get("/app/outbox", {"channel": "sms"})
        body = page.content.decode()
        assert "sms &lt;i&gt;subject&lt;/i&gt;" in body and "email &lt;i&gt;" not in body
        assert "Caught &lt;script&gt;" in body
        key = re.search(r'href="/app/outbox/caught/([^"]+)"', body).group(1)  # type: ignore[union-attr]
        caught = client.get(f"/app/outbox/caught/{key}")
        assert "script-src 'none'" in caught["Content-Security-Policy"]
        shown = caught.content.decode()
        assert "<script" not in shown  # the message's script only as escaped srcdoc text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
        assert "plain words" in shown
        assert client.get("/app/outbox/caught/nope").status_code == 404
        wrong = client.get("/app/outbox", {"channel": "pigeon", "status": "lost"})
    assert wrong.status_code == 400
    assert "channel: &#x27;pigeon&#x27; is none of email, sms" in wrong.content.decode()
    assert "status: &#x27;lost&#x27; is none of pending, sent, failed, suppressed" in (
        wrong.content.decode()
    )
