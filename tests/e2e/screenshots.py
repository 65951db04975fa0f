"""Screenshots of the web app's pages for docs/screenshots/: ``make screenshots``.

Builds a small world in a throw-away folder (the demo's course and contacts, the example
campaigns, one of them paused, the first messages sent to a local SMTP server), starts
``goteo serve``, signs in as an admin in Chromium and saves each page as a PNG.
"""

from __future__ import annotations

import argparse
import mailbox
import os
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.integration.procs import free_port, goteo, start_goteo, wait_until_healthy
from tests.smtp_sink import SmtpSink

ADMIN, PASSWORD = "marta@example.com", "screenshots-password-1"
EXAMPLES = ("abandoned-cart", "browse-abandonment", "post-purchase", "win-back")
PAGES = {
    "login": "login",
    "dashboard": "",
    "campaigns": "campaigns",
    "campaign": "campaigns/drip-101",
    "flow": "campaigns/abandoned-cart",
    "editor": "campaigns/abandoned-cart/edit",
    "versions": "campaigns/drip-101/versions",
    "simulate": "campaigns/abandoned-cart/simulate?email=olivia.bennett%40example.com&days=8",
    "audit": "audit",
    "users": "users",
    "contacts": "contacts",
    "contact": "contacts/1",
    "messages": "campaigns/drip-101/messages",
    "preview": "campaigns/drip-101/messages/welcome?contact={contact}",
    "forms": "forms",
    "form": "forms/newsletter",
    "form-document": "form-document",
    "outbox": "outbox",
    "caught": "outbox/caught/{caught}",
    "results": "results?campaign=drip-101",
}
# An import through the browser: the column mapping, then the report with its one bad row.
IMPORT_CSV = (
    "Email address,First name,Surname,Language,Favourite course\n"
    "lucia@example.com,Lucía,Gómez,es,Watercolour\n"
    "not-an-address,Pablo,Ruiz,es,Pottery\n"
    "tom@example.com,Tom,Baker,en,Bread\n"
)


def build(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOTEO_")}
    env |= {
        "GOTEO_DATA_DIR": str(folder / "data"),
        "GOTEO_DATABASE_URL": f"sqlite:///{folder / 'goteo.sqlite3'}",
        "GOTEO_SECRET_KEY": "screenshots",
        "GOTEO_FROM": "Goteo <news@goteo.example.com>",
        "GOTEO_POSTAL_ADDRESS": "Goteo, Calle Mayor 1, 28013 Madrid, Spain",
        "GOTEO_MAIL_URL": f"folder:{folder / 'print-house'}",  # the course sends a postcard
        "GOTEO_SMS_URL": f"folder:{folder / 'sms'}",  # and a text
        "DJANGO_SETTINGS_MODULE": "goteo.settings",
    }
    goteo(env, "migrate")
    demo = resources.files("goteo.demo")
    course = folder / "welcome.yaml"
    course.write_text(demo.joinpath("welcome.yaml").read_text(encoding="utf-8"), "utf-8")
    goteo(env, "campaign", "apply", str(course))
    text = course.read_text("utf-8")  # a second version, for the versions page
    course.write_text(text.replace("    wait: 1d\n", "    wait: 2d\n", 1), "utf-8")
    goteo(env, "campaign", "apply", str(course))
    root = Path(__file__).resolve().parents[2]
    for name in EXAMPLES:
        goteo(env, "campaign", "apply", str(root / "examples" / f"{name}.yaml"))
    goteo(env, "campaign", "pause", "win-back")
    contacts = folder / "contacts.csv"
    contacts.write_text(demo.joinpath("contacts.csv").read_text(encoding="utf-8"), "utf-8")
    goteo(env, "contacts", "import", str(contacts), "--subscribe", "newsletter")
    goteo(env, "form", "apply", str(root / "examples" / "newsletter-form.yaml"))
    with SmtpSink() as sink:
        goteo(env | {"GOTEO_EMAIL_URL": sink.url}, "worker", "--until-idle")
        # The messages sent, kept as the demo's mail catcher keeps them (the outbox lists them).
        env["GOTEO_MAILBOX"] = str(folder / "mailbox")
        box = mailbox.Maildir(env["GOTEO_MAILBOX"], create=True)
        for _, _, raw in sink.messages:
            box.add(mailbox.MaildirMessage(raw))
        box.close()
    subprocess.run(
        [sys.executable, "-m", "goteo", "user", "create", ADMIN, "--role", "admin",
         "--password-stdin"],
        env=env, input=f"{PASSWORD}\n", text=True, check=True, capture_output=True,
    )  # fmt: skip
    return env


def shoot(env: dict[str, str], out: Path, only: list[str] | None = None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_goteo(env | {"GOTEO_BASE_URL": url}, "serve", "--bind", f"127.0.0.1:{port}")
    written = []
    try:
        wait_until_healthy(url, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            for name, path in PAGES.items():
                if name == "dashboard":
                    page.get_by_label("Email").fill(ADMIN)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_url(f"{url}/app/")
                else:
                    page.goto(f"{url}/app/{path.format(**_chosen(env))}")
                if only and name not in only:
                    continue
                target = out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
            written += _import(page, url, out)
            if not only:
                written += _spanish(page, url, out)
            browser.close()
    finally:
        server.terminate()
        server.communicate(timeout=20)
    return written


def _import(page: Any, url: str, out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="goteo-import-") as tmp:
        upload = Path(tmp) / "new-students.csv"
        upload.write_text(IMPORT_CSV, encoding="utf-8")
        page.goto(f"{url}/app/contacts/import")
        page.get_by_label("CSV file").set_input_files(str(upload))
        page.get_by_role("button", name="Upload").click()
        page.wait_for_selector("select")
        page.screenshot(path=str(out / "import-mapping.png"), full_page=True)
        page.get_by_role("button", name="Import").click()
        page.wait_for_selector("#import-counts")
        page.screenshot(path=str(out / "import-done.png"), full_page=True)
    return [out / "import-mapping.png", out / "import-done.png"]


# Pages shot again in Spanish (``NAME-es.png``), with the interface switched as a user does.
SPANISH = ("dashboard", "campaign", "editor", "results")


def _spanish(page: Any, url: str, out: Path) -> list[Path]:
    page.goto(f"{url}/app/")
    page.locator("button[name=language][value=es]").click()
    page.wait_for_selector("html[lang=es]")
    written = []
    for name in SPANISH:
        page.goto(f"{url}/app/{PAGES[name]}")
        target = out / f"{name}-es.png"
        page.screenshot(path=str(target), full_page=True)
        written.append(target)
    return written


def _chosen(env: dict[str, str]) -> dict[str, str]:
    """The contact a message is previewed for, and the newest message caught."""
    box = mailbox.Maildir(env["GOTEO_MAILBOX"], create=False)
    newest = max(box.iterkeys(), key=lambda key: box.get_message(key).get_date())
    return {"contact": "lucia.fernandez@example.com", "caught": newest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default="docs/screenshots", type=Path)
    parser.add_argument("--page", action="append", choices=sorted(PAGES), help="only these")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="goteo-screens-") as tmp:
        for path in shoot(build(Path(tmp)), args.out, args.page):
            print(path)


if __name__ == "__main__":
    main()
