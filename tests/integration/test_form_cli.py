"""``goteo form``, ``goteo consent export`` and ``goteo contacts show``, in process."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.test import Client
from tests.integration.form_helpers import CONSENT_ES, apply_form, form_source, post

from goteo.cli import main
from goteo.contacts.models import Contact

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_validate_and_apply_a_form_file(tmp_path: Path) -> None:
    good = tmp_path / "form.json"
    good.write_text(form_source(), encoding="utf-8")
    assert run("form", "validate", str(good)) == (0, f"{good}: valid (signup)\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("key: signup\ntopics: [News]\nconsent: ok\nextra: 1\n", encoding="utf-8")
    code, out = run("form", "validate", str(bad), "--json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert [(p["line"], p["path"]) for p in problems] == [(2, "topics[0]"), (4, "extra")]

    code, out = run("form", "apply", str(good), "--json")
    assert code == 0 and json.loads(out) == {
        "key": "signup",
        "outcome": "created",
        "new_consent_version": True,
        "url": "http://testserver/f/signup",
        "warnings": [],
    }
    assert run("form", "apply", str(good))[1].startswith("signup: unchanged")
    assert run("form", "apply", str(bad))[0] == 1

    code, out = run("form", "list", "--json")
    (row,) = json.loads(out)
    assert row["key"] == "signup" and row["topics"] == ["news"] and row["consents"] == 0
    assert "signup  news" in run("form", "list")[1]


def test_the_snippet_posts_to_the_embed_endpoint(client: Client) -> None:
    apply_form(topics=["news", "offers"])
    code, snippet = run("form", "snippet", "signup")
    assert code == 0
    assert snippet.startswith('<form method="post" action="http://testserver/f/signup/submit"')
    assert 'name="website"' in snippet and "csrfmiddlewaretoken" not in snippet
    assert CONSENT_ES in snippet and 'value="offers"' in snippet and "Suscribirme" in snippet
    assert run("form", "snippet", "nope")[0] == 1
    # What a page with the snippet would send, field by field.
    names = set(re.findall(r'name="([a-z_]+)"', snippet))
    assert names == {"consent_version", "email", "first_name", "topics", "website"}
    version = re.search(r'name="consent_version" value="([0-9a-f]+)"', snippet)
    assert version is not None
    data = {"email": "ana@example.com", "topics": "offers", "consent_version": version.group(1)}
    assert post(client, "/f/signup/submit", data).status_code == 200
    assert Contact.objects.filter(email="ana@example.com").exists()


def test_consent_export_and_contacts_show(client: Client) -> None:
    apply_form()
    apply_form(key="other", double_opt_in=False)
    post(client, "/f/signup/submit", {"email": "ana@example.com"})
    post(client, "/f/other/submit", {"email": "bea@example.com"})

    code, out = run("consent", "export")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["email"], r["form"], r["topics"]) for r in rows] == [
        ("ana@example.com", "signup", "news"),
        ("bea@example.com", "other", "news"),
    ]
    assert rows[0]["consent_text"] == CONSENT_ES and rows[0]["ip"] == "127.0.0.1"
    code, out = run("consent", "export", "--form", "other", "--json")
    (line,) = out.splitlines()
    assert json.loads(line)["email"] == "bea@example.com"
    assert run("consent", "export", "--form", "nope")[0] == 1

    code, out = run("contacts", "show", "BEA@example.com", "--json")
    shown = json.loads(out)
    assert shown["status"] == "active" and shown["subscriptions"] == ["news", "other"]
    assert shown["preferences_url"].startswith("http://testserver/p/")
    assert shown["consents"][0]["user_agent"] == "FormTest/1.0"
    code, out = run("contacts", "show", "ana@example.com")
    assert code == 0 and "unconfirmed" in out and "signup" in out
    assert run("contacts", "show", "nobody@example.com")[0] == 1
