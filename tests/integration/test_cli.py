"""The ``goteo`` command as a real process: exit codes, messages, JSON output, what it stores."""

from __future__ import annotations

import csv
import email
import io
import json
import re
from datetime import datetime
from email import policy
from pathlib import Path
from typing import Any

import click
import pytest
from tests.integration.procs import goteo, goteo_json
from tests.smtp_sink import SmtpSink

from goteo.cli import main as goteo_main

pytestmark = pytest.mark.slow  # every test here runs `goteo` as a real process

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "welcome.yaml"

# Line numbers matter: the test expects each problem at the line written beside it.
BROKEN_CAMPAIGN = """\
key: broken
name: Broken on purpose
default_locale: es
trigger: manual
steps:
  - send: email
    template: welcome
  - wait: 2 dayz
  - frobnicate: 3
  - send: email
    template: missing
templates:
  welcome: {en: {subject: "Hi {{ contact.frist_name }}", html: "<p>Hi</p>"}}
"""
BROKEN_PROBLEMS = [
    (8, "steps[1].wait", "'2 dayz' is not a duration"),
    (9, "steps[2]", "unknown step 'frobnicate'"),
    (11, "steps[3].template", "template 'missing' is not defined under templates"),
    (13, "templates.welcome", "no variant for the default locale 'es'"),
    (13, "templates.welcome.en.subject", "unknown variable contact.frist_name"),
]

MANUAL_CAMPAIGN = """\
key: onboarding
name: Onboarding
trigger: manual
steps:
  - send: email
    template: hello
templates:
  hello:
    en: {subject: "Hello", html: "<p>Hello</p>"}
"""

# No send window, so the first message is due at once whatever the day and hour.
NEWS_CAMPAIGN = """\
key: news-welcome
name: News welcome
trigger: {subscribed: news}
steps:
  - send: email
    template: hello
  - wait: 1d
  - send: email
    template: later
templates:
  hello:
    en: {subject: "Hello {{ contact.first_name | default: 'you' }}", html: "<p>Hi</p>"}
    es: {subject: "Hola {{ contact.first_name | default: 'tú' }}", html: "<p>Hola</p>"}
  later:
    en: {subject: "Later", html: "<p>Later</p>"}
"""

JSON_CAMPAIGN = {
    "key": "from-json",
    "name": "Written as JSON",
    "steps": [{"send": "email", "template": "hello"}],
    "templates": {"hello": {"en": {"subject": "Hello", "html": "<p>Hello</p>"}}},
}

PROBLEM_LINE = re.compile(r"^  (?P<file>.+?):line (?P<line>\d+): (?P<path>[^:]+): (?P<message>.+)$")


def migrated(env: dict[str, str]) -> dict[str, str]:
    goteo(env, "migrate")
    return env


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(result: Any, code: int = 1) -> str:
    """The standard error of a command that must have failed cleanly with ``code``."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return str(result.stderr)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def exported(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    rows = json_lines(goteo(env, "contacts", "export", "--format", "json").stdout)
    by_email = {r["email"]: r for r in rows}
    assert len(by_email) == len(rows), f"an email is exported twice: {rows}"
    return by_email


def all_commands() -> list[tuple[list[str], click.Command]]:
    """Every command and subcommand with its argument list (the top group's is [])."""
    found: list[tuple[list[str], click.Command]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*path, name])

    walk(goteo_main, [])
    return found


def test_help_works_on_every_command_and_subcommand(goteo_env: dict[str, str]) -> None:
    commands = all_commands()
    names = {" ".join(path) for path, _ in commands}
    documented = {
        "campaign validate",
        "campaign apply",
        "campaign list",
        "campaign pause",
        "campaign resume",
        "contacts add",
        "contacts import",
        "contacts export",
        "enroll",
        "simulate",
        "serve",
        "worker",
        "migrate",
        "outbox",
        "demo",
    }
    assert documented <= names, documented - names
    for path, command in commands:
        result = goteo(goteo_env, *path, "--help")
        usage = " ".join(["Usage: python -m goteo", *path])
        assert result.stdout.startswith(usage), (path, result.stdout)
        assert result.stderr == "", (path, result.stderr)
        for option in command.params:
            assert all(name in result.stdout for name in option.opts if name.startswith("--"))
        if isinstance(command, click.Group):
            assert all(sub in result.stdout for sub in command.commands), (path, result.stdout)
    assert goteo(goteo_env, "-h").stdout == goteo(goteo_env, "--help").stdout


def test_validate_names_every_problem_with_file_line_and_path(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    path = write(tmp_path / "broken.yaml", BROKEN_CAMPAIGN)
    stderr = refused(goteo(goteo_env, "campaign", "validate", path, check=False))
    assert f"{path}: refused, {len(BROKEN_PROBLEMS)} problem(s)" in stderr
    printed = [m.groupdict() for m in map(PROBLEM_LINE.match, stderr.splitlines()) if m]
    assert [(int(p["line"]), p["path"]) for p in printed] == [
        (line, where) for line, where, _ in BROKEN_PROBLEMS
    ], stderr
    assert all(p["file"] == path for p in printed)
    for problem, (_, _, message) in zip(printed, BROKEN_PROBLEMS, strict=True):
        assert message in problem["message"]

    as_json = goteo(goteo_env, "campaign", "validate", path, "--json", check=False)
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["valid"] is False and report["file"] == path
    assert report["problems"] == [
        {"line": int(p["line"]), "path": p["path"], "message": p["message"]} for p in printed
    ]

    good = goteo_json(goteo_env, "campaign", "validate", str(EXAMPLE))
    assert good["valid"] is True and good["key"] == "welcome" and good["steps"] == 5
    assert good["templates"]["welcome"] == ["en", "es"]
    as_json_file = write(tmp_path / "campaign.json", json.dumps(JSON_CAMPAIGN, indent=2))
    valid = goteo(goteo_env, "campaign", "validate", as_json_file).stdout.strip()
    assert valid == f"{as_json_file}: valid (from-json, 1 step)"


WARNED_CAMPAIGN = """\
key: warned
steps:
  - send: email
    template: hello
templates:
  hello:
    en:
      subject: "Hi {{ contact.first_name }}"
      html: "<p>Hello {{ contact.attributes.company }}</p>"
"""


def test_warnings_follow_problems_and_fail_only_with_strict(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    path = write(tmp_path / "warned.yaml", WARNED_CAMPAIGN)
    result = goteo(goteo_env, "campaign", "validate", path)
    assert result.stdout == f"{path}: valid (warned, 1 step)\n"
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}: 2 warning(s):"
    printed = [m.groupdict() for m in map(PROBLEM_LINE.match, lines[1:]) if m]
    assert [(p["line"], p["path"]) for p in printed] == [
        ("8", "templates.hello.en.subject"),
        ("9", "templates.hello.en.html"),
    ]
    assert 'write {{ contact.first_name | default: "…" }}' in printed[0]["message"]

    stderr = refused(goteo(goteo_env, "campaign", "validate", "--strict", path, check=False))
    assert stderr.startswith(f"{path}: refused by --strict (warned, 1 step)\n{path}: 2 warning")
    strict_json = goteo(goteo_env, "campaign", "validate", "--strict", "--json", path, check=False)
    assert strict_json.returncode == 1
    report = json.loads(strict_json.stdout)
    assert report["valid"] is False and len(report["warnings"]) == 2

    broken = write(tmp_path / "broken.yaml", WARNED_CAMPAIGN.replace("send: email", "send: fax"))
    stderr = refused(goteo(goteo_env, "campaign", "validate", broken, check=False))
    assert stderr.splitlines()[:2] == [
        f"{broken}: refused, 1 problem(s):",
        f"  {broken}:line 3: steps[0].send: 'fax' is not a channel (available: email)",
    ]
    assert stderr.splitlines()[2] == "and 2 warning(s):"

    simulated = goteo(goteo_env, "simulate", path, "--json")
    assert json.loads(simulated.stdout)[0]["subject"] == "Hi"
    assert simulated.stderr.startswith(f"{path}: 2 warning(s):\n")

    env = migrated(goteo_env)
    applied = goteo(env, "campaign", "apply", path)
    assert applied.stdout == "warned: created (version 1)\n"
    assert applied.stderr.startswith(f"{path}: 2 warning(s):\n  {path}:line 8: ")
    again = goteo_json(env, "campaign", "apply", path)
    assert again["outcome"] == "unchanged" and len(again["warnings"]) == 2


def test_simulate_shows_a_render_problem_as_such_and_the_coupon(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    # assign hides the missing value from validation; the strict campaign fails at render.
    source = WARNED_CAMPAIGN.replace("key: warned\n", "key: warned\nstrict: true\n").replace(
        'subject: "Hi {{ contact.first_name }}"',
        'subject: "{% assign n = contact.first_name %}Hi {{ n }}, {{ coupon.code }}"',
    )
    source = source.replace(
        'html: "<p>Hello {{ contact.attributes.company }}</p>"', 'html: "<p>Hello</p>"'
    ).replace("    template: hello\n", "    template: hello\n    coupon: {percent_off: 15}\n")
    path = write(tmp_path / "strict.yaml", source)
    start = ("--start", "2025-03-07T10:00:00Z", "--days", "1")
    entries = goteo_json(goteo_env, "simulate", path, *start)
    (send,) = [e for e in entries if e["kind"] == "send"]
    assert send["subject"] is None
    assert send["error"].startswith("template 'hello' (en) subject: ")
    assert "contact.first_name is undefined (the campaign is strict" in send["error"]
    assert send["coupon"]["discount"] == "15%"

    named = goteo_json(goteo_env, "simulate", path, *start, "--contact", '{"first_name": "Ana"}')
    code = named[0]["coupon"]["code"]
    assert named[0]["subject"] == f"Hi Ana, {code}" and "error" not in named[0]

    human = goteo(goteo_env, "simulate", path, *start).stdout.splitlines()
    assert [line.split()[2:4] for line in human[2:]] == [
        ["not", "sent"],
        ["coupon", "step-1"],
        ["end", "completed:"],
    ]
    assert "not sent  step-1  en      cannot render: template 'hello' (en) subject:" in human[2]
    assert human[3].endswith("(15%)")


def test_validate_unreadable_files_gives_a_clear_error(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    missing = str(tmp_path / "missing.yaml")
    stderr = refused(goteo(goteo_env, "campaign", "validate", missing, check=False))
    assert f"cannot read {missing}" in stderr and "No such file" in stderr

    latin = tmp_path / "latin1.yaml"
    latin.write_bytes(MANUAL_CAMPAIGN.replace("Onboarding", "Campa\xf1a").encode("latin-1"))
    stderr = refused(goteo(goteo_env, "campaign", "validate", str(latin), check=False))
    assert f"cannot read {latin}" in stderr and "utf-8" in stderr.lower()


def test_validate_accepts_json_indented_with_tabs(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    path = write(tmp_path / "tabs.json", json.dumps(JSON_CAMPAIGN, indent="\t"))
    result = goteo(goteo_env, "campaign", "validate", path, check=False)
    assert result.returncode == 0, result.stderr


def test_campaign_apply_versions_list_pause_and_resume(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    env = migrated(goteo_env)
    broken = write(tmp_path / "broken.yaml", BROKEN_CAMPAIGN)
    refused(goteo(env, "campaign", "apply", broken, check=False))
    assert goteo_json(env, "campaign", "list") == [], "a refused campaign was stored"

    path = write(tmp_path / "welcome.yaml", EXAMPLE.read_text(encoding="utf-8"))
    assert goteo(env, "campaign", "apply", path).stdout.strip() == "welcome: created (version 1)"
    again = goteo(env, "campaign", "apply", path).stdout.strip()
    assert again == "welcome: unchanged (version 1)"
    write(Path(path), EXAMPLE.read_text(encoding="utf-8").replace("Three tips", "Four tips"))
    changed = goteo_json(env, "campaign", "apply", path)
    assert changed == {"key": "welcome", "version": 2, "outcome": "new version", "warnings": []}

    listed = goteo_json(env, "campaign", "list")
    assert listed == [
        {
            "key": "welcome",
            "name": "Welcome series",
            "status": "active",
            "status_reason": "",
            "version": 2,
            "trigger": {"kind": "subscribed", "value": "newsletter"},
            "active": 0,
            "enrolled": 0,
        }
    ]
    assert goteo(env, "campaign", "pause", "welcome").stdout.strip() == "welcome: paused"
    assert goteo_json(env, "campaign", "list")[0]["status"] == "paused"
    assert goteo_json(env, "campaign", "resume", "welcome") == {
        "key": "welcome",
        "status": "active",
    }
    stderr = refused(goteo(env, "campaign", "pause", "nope", check=False))
    assert "no such campaign" in stderr and "'nope' does not exist" in stderr
    as_json = goteo(env, "campaign", "resume", "nope", "--json", check=False)
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["fields"] == {"campaign": "'nope' does not exist"}
    assert goteo_json(env, "campaign", "list")[0]["status"] == "active"


def test_contacts_add_refuses_bad_fields_and_updates_by_email(goteo_env: dict[str, str]) -> None:
    env = migrated(goteo_env)
    bad = {
        "email": ["not-an-email"],
        "locale": ["ana@example.com", "--locale", "en us!"],
        "timezone": ["ana@example.com", "--timezone", "Mars/Olympus_Mons"],
        "attr": ["ana@example.com", "--attr", "plan"],
        "attributes.1plan": ["ana@example.com", "--attr", "1plan=pro"],
    }
    for field, args in bad.items():
        stderr = refused(goteo(env, "contacts", "add", *args, check=False))
        assert f"  {field}: " in stderr, (field, stderr)
    as_json = goteo(env, "contacts", "add", "nobody@", "--json", check=False)
    assert as_json.returncode == 1
    assert list(json.loads(as_json.stdout)["fields"]) == ["email"]
    assert exported(env) == {}, "a refused contact was stored"

    first = goteo_json(env, "contacts", "add", "Ana@Example.COM", "--first-name", "Ana")
    assert first["created"] is True and first["email"] == "ana@example.com"
    second = goteo_json(
        env,
        "contacts",
        "add",
        "ana@EXAMPLE.com",
        "--first-name",
        "Anita",
        "--locale",
        "es_MX",
        "--timezone",
        "America/Mexico_City",
        "--attr",
        "plan=pro",
    )
    assert second["created"] is False and second["id"] == first["id"]
    assert exported(env) == {
        "ana@example.com": {
            "email": "ana@example.com",
            "first_name": "Anita",
            "last_name": "",
            "locale": "es-MX",
            "timezone": "America/Mexico_City",
            "status": "active",
            "attributes": {"plan": "pro"},
        }
    }


MIXED_CSV = """\
email,first_name,locale,timezone,plan
ok1@example.com,One,en,Europe/London,free
not-an-email,Bad,en,,free
OK2@Example.com,Two,es,Europe/Madrid,pro
ok3@example.com,Three,es,Nowhere/City,pro

ok4@example.com,Four,fr,Europe/Paris,pro,surplus
ok5@example.com,Five,it,Europe/Rome,
"""


def test_contacts_import_takes_good_rows_reports_bad_ones_and_updates(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    env = migrated(goteo_env)
    mixed = write(tmp_path / "mixed.csv", MIXED_CSV)
    result = goteo(env, "contacts", "import", mixed, check=False)
    stderr = refused(result, code=2)
    assert result.stdout.strip() == "3 imported (3 new, 0 updated, 0 unchanged), 3 rejected"
    reported = re.findall(r"^  line (\d+): (\w+)", stderr, flags=re.MULTILINE)
    assert reported == [("3", "email"), ("5", "timezone"), ("7", "more")], stderr
    assert "'Nowhere/City' is not a known time zone" in stderr

    table = list(csv.DictReader(io.StringIO(goteo(env, "contacts", "export").stdout)))
    assert [(r["email"], r["first_name"], r["plan"]) for r in table] == [
        ("ok1@example.com", "One", "free"),
        ("ok2@example.com", "Two", "pro"),
        ("ok5@example.com", "Five", ""),
    ]
    assert table[1]["timezone"] == "Europe/Madrid" and table[1]["status"] == "active"

    update = write(
        tmp_path / "update.csv",
        "email,first_name,plan,company\n"
        "OK1@example.com,Uno,pro,Acme S.L.\n"
        "ok2@example.com,Two,pro,\n"
        "new@example.com,Nuevo,,\n",
    )
    report = goteo_json(env, "contacts", "import", update)
    assert report == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "errors": [],
        "repeated": [],
        "enrolled": {},
    }
    contacts = exported(env)
    assert sorted(contacts) == [
        "new@example.com",
        "ok1@example.com",
        "ok2@example.com",
        "ok5@example.com",
    ]
    assert contacts["ok1@example.com"]["first_name"] == "Uno"
    assert contacts["ok1@example.com"]["locale"] == "en", "a column not given was erased"
    assert contacts["ok1@example.com"]["attributes"] == {"plan": "pro", "company": "Acme S.L."}
    assert contacts["new@example.com"]["attributes"] == {}
    table = list(csv.DictReader(io.StringIO(goteo(env, "contacts", "export").stdout)))
    assert list(table[0]) == [
        "email",
        "first_name",
        "last_name",
        "locale",
        "timezone",
        "status",
        "company",
        "plan",
    ]
    assert {r["email"]: r["company"] for r in table}["ok1@example.com"] == "Acme S.L."

    no_email = write(tmp_path / "no-email.csv", "mail,first_name\nzed@example.com,Zed\n")
    stderr = refused(goteo(env, "contacts", "import", no_email, check=False))
    assert "no email column" in stderr and "mail, first_name" in stderr
    assert len(exported(env)) == 4


def test_import_reports_a_record_that_spans_lines_at_its_first_line(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    env = migrated(goteo_env)
    path = write(
        tmp_path / "multiline.csv",
        "email,first_name,timezone,note\n"
        'ok@example.com,Ok,,"first\nsecond"\n'
        'bad@example.com,Bad,Nowhere/City,"x\ny"\n'
        "\n"
        "late@example.com,Late,Mars/Base,\n",
    )
    result = goteo(env, "contacts", "import", path, check=False)
    stderr = refused(result, code=2)
    assert re.findall(r"^  line (\d+): timezone", stderr, flags=re.MULTILINE) == ["4", "7"]
    assert exported(env)["ok@example.com"]["attributes"] == {"note": "first\nsecond"}


def test_enroll_by_segment_filter_and_email(tmp_path: Path, goteo_env: dict[str, str]) -> None:
    env = migrated(goteo_env)
    goteo(env, "campaign", "apply", write(tmp_path / "c.yaml", MANUAL_CAMPAIGN))
    people = write(
        tmp_path / "people.csv",
        "email,locale,plan\n"
        "ana@example.com,es,pro\n"
        "bea@example.com,es-MX,free\n"
        "carl@example.com,en,pro\n"
        "dora@example.com,fr,free\n"
        "eve@example.com,en,Professional\n",
    )
    goteo(env, "contacts", "import", people)

    by_locale = goteo_json(env, "enroll", "onboarding", "--where", "locale=ES")
    assert by_locale == {"enrolled": 1, "already_enrolled": 0, "inactive": 0}  # ana
    filtered = goteo_json(
        env, "enroll", "onboarding", "--where", "attributes.plan^=PRO", "--where", "locale!=es"
    )
    assert filtered == {"enrolled": 2, "already_enrolled": 0, "inactive": 0}  # carl, eve
    by_email = goteo_json(
        env, "enroll", "onboarding", "--contact", "DORA@example.com", "--contact", "ana@example.com"
    )
    assert by_email == {"enrolled": 1, "already_enrolled": 1, "inactive": 0}
    everyone = goteo_json(env, "enroll", "onboarding", "--segment", "all")
    assert everyone == {"enrolled": 1, "already_enrolled": 4, "inactive": 0}  # bea
    assert goteo_json(env, "campaign", "list")[0]["enrolled"] == 5

    stderr = refused(goteo(env, "enroll", "nope", "--segment", "all", check=False))
    assert "no such campaign" in stderr and "'nope'" in stderr
    stderr = refused(
        goteo(env, "enroll", "onboarding", "--contact", "ghost@example.com", check=False)
    )
    assert "unknown contacts" in stderr and "ghost@example.com" in stderr
    stderr = refused(goteo(env, "enroll", "onboarding", check=False))
    assert "nobody chosen" in stderr and "--segment all" in stderr
    assert goteo_json(env, "campaign", "list")[0]["enrolled"] == 5


def test_simulate_prints_localised_subjects_inside_the_window(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    contact = json.dumps({"first_name": "Ana", "locale": "es", "timezone": "Europe/Madrid"})
    # Saturday 12:00 in Madrid: the window (Mon-Fri 09:00-18:00) holds the first send.
    start = "2025-06-07T10:00:00+00:00"
    args = ("simulate", str(EXAMPLE), "--contact", contact, "--days", "14", "--start", start)
    human = goteo(goteo_env, *args).stdout
    assert re.search(r"2025-06-09 09:00 +send +step-1 +es +Bienvenido, Ana", human), human
    assert "Tres consejos" in human and "An offer for you" in human

    timeline = goteo_json(goteo_env, *args)
    sends = [e for e in timeline if e["kind"] == "send"]
    assert [(e["template"], e["locale"], e["subject"]) for e in sends] == [
        ("welcome", "es", "Bienvenido, Ana"),
        ("tips", "es", "Tres consejos"),
        ("offer", "en", "An offer for you"),  # no Spanish variant: the default locale
    ]
    assert [e["local"] for e in sends] == [
        "2025-06-09T09:00:00+02:00",
        "2025-06-11T09:00:00+02:00",
        "2025-06-16T09:00:00+02:00",  # 3 days after Wednesday is Saturday: held to Monday
    ]
    for entry in sends:
        local = datetime.fromisoformat(entry["local"])
        assert local.weekday() < 5 and 9 <= local.hour < 18, entry
    assert timeline[-1]["kind"] == "end" and timeline[-1]["detail"].startswith("completed")

    events = write(tmp_path / "events.yaml", "- {at: 1d, name: unsubscribed}\n")
    monday = [*args[:-1], "2025-06-09T10:00:00+00:00", "--events", events]
    stopped = goteo_json(goteo_env, *monday)
    assert [e["kind"] for e in stopped] == ["send", "event", "end"], stopped
    assert stopped[1]["detail"] == "unsubscribed" and "unsubscribed" in stopped[2]["detail"]

    stderr = refused(goteo(goteo_env, "simulate", str(EXAMPLE), "--contact", "{ana", check=False))
    assert "bad option" in stderr and "contact" in stderr
    stderr = refused(goteo(goteo_env, "simulate", str(EXAMPLE), "--contact", "[1]", check=False))
    assert "contact: must be a JSON object" in stderr


def test_worker_sends_the_first_messages_over_smtp(
    tmp_path: Path, goteo_env: dict[str, str], smtp_sink: SmtpSink
) -> None:
    env = migrated(goteo_env | {"GOTEO_EMAIL_URL": f"{smtp_sink.url}?timeout=10"})
    goteo(env, "campaign", "apply", write(tmp_path / "news.yaml", NEWS_CAMPAIGN))
    people = write(
        tmp_path / "people.csv",
        "email,first_name,locale\nana@example.com,Ana,es\nbob@example.com,Bob,en\n",
    )
    imported = goteo_json(env, "contacts", "import", people, "--subscribe", "news")
    assert imported["enrolled"] == {"news-welcome": 2}

    goteo(env, "campaign", "pause", "news-welcome")
    paused = goteo_json(env, "worker", "--until-idle")
    assert paused["steps_claimed"] == 0 and paused["sent"] == 0, paused
    assert smtp_sink.messages == []
    goteo(env, "campaign", "resume", "news-welcome")
    totals = goteo_json(env, "worker", "--until-idle")
    assert totals["sent"] == 2 and totals["failed"] == 0 and totals["retried"] == 0, totals
    received = {}
    for _, recipients, data in smtp_sink.messages:
        message = email.message_from_bytes(data, policy=policy.default)
        received[recipients[0]] = str(message["Subject"])
    assert received == {"ana@example.com": "Hola Ana", "bob@example.com": "Hello Bob"}
    outbox = goteo_json(env, "outbox")
    assert sorted((d["contact__email"], d["status"]) for d in outbox) == [
        ("ana@example.com", "sent"),
        ("bob@example.com", "sent"),
    ]
    assert goteo_json(env, "campaign", "list")[0]["active"] == 2  # waiting for the second


def test_worker_with_a_bad_email_url_fails_naming_the_setting(goteo_env: dict[str, str]) -> None:
    env = goteo_env | {"GOTEO_EMAIL_URL": "carrier-pigeon://coop"}
    stderr = refused(goteo(env, "worker", "--until-idle", check=False))
    assert "GOTEO_EMAIL_URL 'carrier-pigeon://coop' is not understood" in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    env["GOTEO_EMAIL_URL"] = "smtp://127.0.0.1?tls=maybe"
    stderr = refused(goteo(env, "worker", "--until-idle", check=False))
    assert "tls='maybe': use none, starttls or ssl" in stderr


def test_export_then_import_changes_nothing(tmp_path: Path, goteo_env: dict[str, str]) -> None:
    env = migrated(goteo_env)
    goteo(env, "contacts", "add", "ana@example.com", "--first-name", "Ana", "--attr", "plan=pro")
    before = goteo(env, "contacts", "export").stdout
    report = goteo_json(env, "contacts", "import", write(tmp_path / "export.csv", before))
    assert report["unchanged"] == 1 and report["updated"] == 0, report
    assert goteo(env, "contacts", "export").stdout == before


def test_simulate_on_an_invalid_campaign_names_every_problem(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    path = write(tmp_path / "broken.yaml", BROKEN_CAMPAIGN)
    stderr = refused(goteo(goteo_env, "simulate", path, check=False))
    for _, where, message in BROKEN_PROBLEMS:
        assert f"{where}: " in stderr and message in stderr, (where, stderr)


def test_simulate_with_an_unreadable_events_file_fails_cleanly(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    events = write(tmp_path / "events.yaml", "- {at: 1d, name: [unclosed\n")
    stderr = refused(goteo(goteo_env, "simulate", str(EXAMPLE), "--events", events, check=False))
    assert "events" in stderr


def test_simulate_on_a_non_utf8_campaign_names_the_file(
    tmp_path: Path, goteo_env: dict[str, str]
) -> None:
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes(MANUAL_CAMPAIGN.replace("Onboarding", "Campa\xf1a").encode("latin-1"))
    stderr = refused(goteo(goteo_env, "simulate", str(latin), check=False))
    assert str(latin) in stderr and "contact" not in stderr, stderr
