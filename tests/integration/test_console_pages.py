"""The web app's pages: password reset by email through the outbox, the dashboard's figures
and the worker's heartbeat, the campaign pages, and the interface in Spanish."""

from __future__ import annotations

import gettext
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from tests.integration.console_helpers import PASSWORD, apply_campaign, make_user, signed_in
from tests.integration.flow_helpers import parse, people, run_now
from tests.smtp_sink import SmtpSink

from goteo.actions.campaigns import do_set_campaign_status
from goteo.actions.enroll import do_enroll
from goteo.actions.events import EventInput, do_record_events
from goteo.actions.provider_events import do_record_event
from goteo.campaigns.models import Delivery
from goteo.console.catalogues import compile_catalogues
from goteo.worker.heartbeat import Heartbeat, last_beat
from goteo.worker.loop import Worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_forgotten_password_is_reset_through_an_emailed_link(
    worker: Worker, smtp_sink: SmtpSink
) -> None:
    make_user("editor", "eva@example.com")
    client = Client()
    response = client.post("/app/password-reset", {"email": "eva@example.com"})
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    unknown = client.post("/app/password-reset", {"email": "nobody@example.com"})

    def without_token(html: str) -> str:
        return re.sub(r'(X-CSRFToken": "|value=")[A-Za-z0-9]{64}', "", html)

    same = without_token(unknown.content.decode()).replace("nobody", "eva")
    assert same == without_token(response.content.decode())  # nothing tells them apart
    queued = Delivery.objects.get()
    assert (queued.kind, queued.template, queued.to_address) == (
        "transactional",
        "password-reset",
        "",
    )
    run_now(worker)
    (message,) = [parse(raw) for _, _, raw in smtp_sink.messages]
    assert message["To"].addresses[0].addr_spec == "eva@example.com"
    assert message["Subject"] == "Reset your Goteo password"
    part = message.get_body(("html",))
    assert part is not None
    body = part.get_content()
    link = re.search(r'href="http://testserver(/app/password-reset/[^"]+)"', body)
    assert link, body
    assert client.get(link[1]).status_code == 200
    mismatch = {"password": "new-password-123", "password2": "other-password-123"}
    assert client.post(link[1], mismatch).status_code == 400
    new = {"password": "new-password-123", "password2": "new-password-123"}
    assert client.post(link[1], new)["Location"] == "/app/login?reset=1"
    assert client.post(link[1], new).status_code == 400  # used once
    old = client.post("/app/login", {"email": "eva@example.com", "password": PASSWORD})
    assert old.status_code == 401
    ok = client.post("/app/login", {"email": "eva@example.com", "password": new["password"]})
    assert ok.status_code == 302


def test_the_dashboard_shows_what_runs_what_was_sent_and_the_worker(worker: Worker) -> None:
    apply_campaign("welcome")
    apply_campaign("winback")
    do_set_campaign_status("winback", "paused", "holiday break")
    ids = people("ana", "ben")
    do_enroll("welcome", list(ids.values()), timezone.now())
    client = signed_in("viewer")
    page = client.get("/app/").content.decode()
    assert "Never started" in page
    run_now(worker)
    beat = last_beat()
    assert beat is not None and beat.worker == worker.name
    assert datetime.now(UTC) - beat.at < timedelta(seconds=30)
    page = client.get("/app/").content.decode()
    running = page.split('id="running-title"')[1].split("</section>")[0]
    assert "welcome" in running and "winback" not in running
    paused = page.split('id="paused-title"')[1].split("</section>")[0]
    assert "winback" in paused and "holiday break" in paused
    sent = page.split('id="messages-title"')[1].split("</section>")[0]
    assert re.search(r"<td>email</td><td class=\"num\">2</td><td class=\"num\">2</td>", sent)
    assert page.count("<dd>0.00% <") == 2  # no bounce, no complaint yet
    ana = Delivery.objects.get(contact__email="ana@example.com")
    do_record_event("test", "c-1", "complained", "ana@example.com", ana.message_id, "", {}, None)
    purchase = EventInput(name="purchase", email="ben@example.com",
                          properties={"value": "30", "currency": "EUR"})  # fmt: skip
    do_record_events([purchase], timezone.now())
    page = client.get("/app/").content.decode()
    health = page.split('id="health-title"')[1].split("</section>")[0]
    assert "<dd>0.00% <" in health and "<dd>50.00% <" in health  # complaints: 1 of 2
    earned = page.split('id="earned-title"')[1].split("</section>")[0]
    assert earned.count("<dd>30.00 EUR</dd>") == 2 and earned.count("<dd>1</dd>") == 2
    panel = client.get("/app/", HTTP_HX_REQUEST="true").content.decode()
    assert panel.startswith('<section class="card" id="worker"')  # htmx refreshes it alone
    assert ">Running<" in panel and worker.name in panel


def test_the_campaign_pages_list_and_show_steps_and_versions() -> None:
    apply_campaign("welcome")
    client = signed_in("viewer")
    listing = client.get("/app/campaigns").content.decode()
    assert '<a href="/app/campaigns/welcome">Welcome</a>' in listing
    page = client.get("/app/campaigns/welcome").content.decode()
    assert "email: hello" in page and "(current)" in page
    ids = people("ana", "ben")
    do_enroll("welcome", list(ids.values()), timezone.now())
    page = client.get("/app/campaigns/welcome").content.decode()
    row = re.search(r"<tr><th scope=\"row\"><code>(.*?)</tr>", page, re.S)
    assert row and '<td class="num">2</td>' in row[1]  # both journeys wait at the first step
    assert client.get("/app/campaigns/nothing").status_code == 404


def test_the_interface_speaks_spanish() -> None:
    make_user("viewer")
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    page = client.get("/app/login").content.decode()
    assert '<html lang="es">' in page and "Iniciar sesión" in page
    client.post("/app/language", {"language": "en", "next": "/app/login"})
    assert "Sign in" in client.get("/app/login").content.decode()
    public = Client(HTTP_ACCEPT_LANGUAGE="es").get("/")  # the public pages are not touched
    assert "This is a Goteo server" in public.content.decode()


def test_the_heartbeat_is_written_at_most_every_few_seconds() -> None:
    ticks = iter([0.0, 1.0, 6.0])
    heart = Heartbeat("w1", every=5.0, monotonic=lambda: next(ticks))
    heart.beat()
    first = last_beat()
    assert first is not None and first.worker == "w1"
    heart.beat()  # a second later: nothing written
    assert last_beat() == first
    heart.beat()  # six seconds later: a new beat
    beat = last_beat()
    assert beat is not None and beat.at > first.at


def test_sign_in_never_sends_elsewhere() -> None:
    make_user("viewer")
    client = Client()
    data = {"email": "viewer@example.com", "password": PASSWORD}
    for target in ("https://evil.example/app/", "//evil.example/app/", "/outbox"):
        response = client.post("/app/login", data | {"next": target})
        assert response["Location"] == "/app/", target
        client.post("/app/logout")
    response = client.post("/app/login", data | {"next": "/app/campaigns"})
    assert response["Location"] == "/app/campaigns"


def test_catalogues_are_compiled_when_newer_than_their_compiled_copy(tmp_path: Path) -> None:
    source = tmp_path / "locale"
    po = source / "es" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Sign in"\nmsgstr "Iniciar sesión"\n', encoding="utf-8")  # fmt: skip
    out = tmp_path / "compiled"
    (mo,) = compile_catalogues(source, out)
    assert mo == out / "es" / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as stream:
        assert gettext.GNUTranslations(stream).gettext("Sign in") == "Iniciar sesión"
    assert compile_catalogues(source, out) == []  # up to date: left alone
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    assert compile_catalogues(source, out) == [mo]
