"""What every marketing message carries, checked on the messages a real SMTP server received.

The worker is built from the settings as ``goteo worker`` builds it (DKIM key, bounce domain,
postal address), runs in this process on a manual clock, and sends to a server on loopback.
Each message must carry both unsubscribe headers, a DKIM signature that dkimpy verifies and
that covers them, a Message-ID, and in its body an unsubscribe link and the postal address: a
template that shows them itself is left alone, one that does not gets a footer in its language.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from django.conf import settings
from django.test import override_settings
from tests.integration.flow_helpers import T0, apply, close_worker, parse
from tests.integration.procs import goteo
from tests.smtp_sink import SmtpSink

from goteo.actions.contacts import do_upsert_contact
from goteo.actions.enroll import do_enroll
from goteo.channels.email import verp
from goteo.channels.email.composer import Composer, sender_from_settings
from goteo.channels.email.dkim import generate_key_pair, load_private_key, public_key_record
from goteo.channels.email.provider import EmailProvider
from goteo.channels.email.smtp import SmtpChannel
from goteo.config import ConfigError, email_settings
from goteo.contacts.tokens import unsubscribe_token
from goteo.content.system import SYSTEM_MESSAGES
from goteo.engine.clock import ManualClock
from goteo.worker.loop import Worker
from goteo.worker.setup import build_worker

pytestmark = pytest.mark.django_db(transaction=True)

SELECTOR = "goteo2025"
FROM_DOMAIN = "goteo.example.com"  # the domain of GOTEO_FROM in tests/settings.py
BOUNCE_DOMAIN = "bounces.goteo.example.com"
ONE_SEND = [{"id": "hello", "send": "email", "template": "hello"}]
COVERED = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "list-unsubscribe",
    "list-unsubscribe-post",
}
LABELS = {
    "en": "Unsubscribe",
    "es": "Date de baja",
    "fr": "Se désabonner",
    "it": "Annulla l’iscrizione",
    "pl": "Wypisz się",
    "ru": "Отписаться",
}
GREETINGS = {
    "en": "Hello",
    "es": "Hola",
    "fr": "Bonjour",
    "it": "Ciao",
    "pl": "Cześć",
    "ru": "Привет",
}


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return generate_key_pair(tmp_path / "dkim", SELECTOR)


@pytest.fixture
def resolver(key_file: Path) -> Callable[..., bytes]:
    """Answers the selector's DNS query with the generated key's record: no network."""
    record = public_key_record(load_private_key(key_file)).encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == f"{SELECTOR}._domainkey.{FROM_DOMAIN}.".encode(), name
        return record

    return lookup


@pytest.fixture
def worker(smtp_sink: SmtpSink, key_file: Path) -> Iterator[Worker]:
    with override_settings(
        EMAIL_CONFIG=email_settings(f"{smtp_sink.url}?timeout=5"),
        GOTEO_DKIM_SELECTOR=SELECTOR,
        GOTEO_DKIM_PRIVATE_KEY_FILE=str(key_file),
        GOTEO_RETURN_PATH_DOMAIN=BOUNCE_DOMAIN,
    ):
        w = build_worker(ManualClock(T0))
    yield w
    close_worker(w)


def contact(email: str, locale: str) -> int:
    return do_upsert_contact({"email": email, "first_name": "Sam", "locale": locale}).contact.id


def send_to(key: str, templates: dict[str, object], *people: tuple[str, str]) -> dict[str, int]:
    """Apply a one-message campaign and enroll ``(email, locale)`` people in it."""
    apply(key, ONE_SEND, {"hello": templates})
    ids = {email: contact(email, locale) for email, locale in people}
    do_enroll(key, ids.values(), T0)
    return ids


def bare(locale: str) -> dict[str, str]:
    return {"subject": f"{GREETINGS[locale]} Sam", "html": f"<p>{GREETINGS[locale]} Sam</p>"}


def parts(msg: EmailMessage) -> tuple[str, str]:
    rich, plain = msg.get_body(("html",)), msg.get_body(("plain",))
    assert rich is not None and plain is not None
    return html.unescape(rich.get_content()), plain.get_content().replace("\r\n", "\n")


def signed_header_names(raw: bytes) -> list[str]:
    value = re.sub(rb"\s+", b"", raw.partition(b"\r\n\r\n")[0].split(b"h=", 1)[1])
    return value.split(b";", 1)[0].decode().split(":")


def check_carries_everything(
    raw: bytes, contact_id: int, resolver: Callable[..., bytes]
) -> EmailMessage:
    """The headers, the signature and the body every marketing message must have."""
    assert raw.startswith(b"DKIM-Signature: ")
    assert dkim.verify(raw, dnsfunc=resolver), "the DKIM signature does not verify"
    assert set(signed_header_names(raw)) >= COVERED
    msg = parse(raw)
    assert re.fullmatch(r"<goteo\.\d+\.[0-9a-f]{16}@goteo\.example\.com>", str(msg["message-id"]))
    url = f"{settings.BASE_URL}/u/{unsubscribe_token(contact_id)}"
    https, mailto = str(msg["list-unsubscribe"]).split(", ")
    assert https == f"<{url}>"
    match = re.fullmatch(r"<mailto:([^?]+)\?subject=unsubscribe>", mailto)
    assert match is not None, mailto
    assert match.group(1).endswith(f"@{BOUNCE_DOMAIN}")
    assert verp.decode(match.group(1), settings.SECRET_KEY) == ("unsubscribe", contact_id)
    assert msg["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    rich, plain = parts(msg)
    for body in (rich, plain):
        assert url in body and settings.GOTEO_POSTAL_ADDRESS in body
    return msg


def test_a_bare_template_gets_the_footer_in_each_language(
    worker: Worker, smtp_sink: SmtpSink, resolver: Callable[..., bytes]
) -> None:
    people = [(f"{locale}@example.com", locale) for locale in LABELS] + [("de@example.com", "de")]
    ids = send_to("bare", {locale: bare(locale) for locale in LABELS}, *people)
    assert worker.run_until_idle().sent == len(people)

    assert len(smtp_sink.messages) == len(people)
    for _, (recipient,), raw in smtp_sink.messages:
        msg = check_carries_everything(raw, ids[recipient], resolver)
        locale = recipient.partition("@")[0]
        label = LABELS.get(locale, LABELS["en"])  # German falls back to the English variant
        rich, plain = parts(msg)
        colon = "\u00a0: " if locale == "fr" else ": "  # French typography
        assert f'lang="{locale if locale in LABELS else "en"}"' in rich
        assert f">{label}</a>" in rich and rich.index("<div ") < rich.index("</body>")
        assert plain.startswith(f"{GREETINGS.get(locale, 'Hello')} Sam\n\n-- \n")
        assert plain.endswith(
            f"{settings.GOTEO_POSTAL_ADDRESS}\n{plain.splitlines()[-2]}\n"
            f"{label}{colon}{settings.BASE_URL}/u/{unsubscribe_token(ids[recipient])}\n"
        )


OWN = {
    "subject": "Our news",
    "html": (
        "<html><body><p>News for you</p><footer><a href='{{ unsubscribe_url }}'>Leave</a>"
        " · {{ postal_address }}</footer></body></html>"
    ),
    "text": "News for you\nLeave: {{ unsubscribe_url }}\n{{ postal_address }}\n",
}
LINK_ONLY = {
    "subject": "Link only",
    "html": "<p>Deals</p><p><a href='{{ unsubscribe_url }}'>Stop these</a></p>",
}


def test_a_template_showing_both_gets_no_footer_and_one_showing_the_link_gets_the_address(
    worker: Worker, smtp_sink: SmtpSink, resolver: Callable[..., bytes]
) -> None:
    ids = send_to("own", {"en": OWN}, ("own@example.com", "en"))
    ids |= send_to("link", {"en": LINK_ONLY}, ("link@example.com", "es"))
    assert worker.run_until_idle().sent == 2

    received = {rcpts[0]: raw for _, rcpts, raw in smtp_sink.messages}
    own = check_carries_everything(received["own@example.com"], ids["own@example.com"], resolver)
    rich, plain = parts(own)
    assert "lang=" not in rich and "Unsubscribe" not in rich
    assert "-- " not in plain and plain.count(settings.GOTEO_POSTAL_ADDRESS) == 1

    link = check_carries_everything(received["link@example.com"], ids["link@example.com"], resolver)
    rich, plain = parts(link)
    footer = rich[rich.index('<div lang="en"') :]  # the English variant was sent
    assert settings.GOTEO_POSTAL_ADDRESS in footer and "Unsubscribe" not in footer
    assert plain.endswith(f"\n-- \n{settings.GOTEO_POSTAL_ADDRESS}\n")


def test_a_transactional_message_has_no_unsubscribe_headers_or_footer() -> None:
    row = {"id": 5, "email": "ana@example.com", "first_name": "Ana", "last_name": "",
           "locale": "es", "timezone": "", "attributes": {}}  # fmt: skip
    extra = {"confirm_url": "https://goteo.example.com/c/x", "form_name": "News"}
    message = Composer(sender_from_settings()).compose(
        9, SYSTEM_MESSAGES, "confirm", "es", row, extra=extra, marketing=False
    )
    assert message.headers == {}
    assert "Date de baja" not in message.html and "-- " not in message.text


def test_the_postal_address_is_a_template_variable() -> None:
    from goteo.content.checks import check_template

    assert check_template("html", "<p>{{ postal_address }}</p>") == []


@pytest.mark.parametrize("url", ["smtp://127.0.0.1:2525", "anymail+sendgrid://KEY@"])
def test_the_worker_refuses_real_mail_without_a_postal_address(url: str) -> None:
    with (
        override_settings(EMAIL_CONFIG=email_settings(url), GOTEO_POSTAL_ADDRESS=" "),
        pytest.raises(ConfigError, match="GOTEO_POSTAL_ADDRESS is empty"),
    ):
        build_worker(ManualClock(T0))


def test_development_backends_only_warn_without_a_postal_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        override_settings(EMAIL_CONFIG=email_settings("memory:"), GOTEO_POSTAL_ADDRESS=""),
        caplog.at_level(logging.WARNING, logger="goteo.worker.setup"),
    ):
        w = build_worker(ManualClock(T0))
    close_worker(w)
    assert "GOTEO_POSTAL_ADDRESS is empty: allowed with the memory backend only" in caplog.text


def email_transport(worker: Worker) -> object:
    provider = worker.channels.get("email")
    assert isinstance(provider, EmailProvider)
    return provider.transport


def test_the_worker_signs_with_the_configured_key_else_the_generated_one(
    key_file: Path, tmp_path: Path
) -> None:
    config = email_settings("smtp://127.0.0.1:2525")
    with override_settings(EMAIL_CONFIG=config, GOTEO_DKIM="off"):
        unsigned = build_worker(ManualClock(T0))
    with override_settings(EMAIL_CONFIG=config, DATA_DIR=tmp_path):
        generated = build_worker(ManualClock(T0))
    generated_smtp = email_transport(generated)
    assert isinstance(generated_smtp, SmtpChannel) and generated_smtp.signer is not None
    assert generated_smtp.signer.selector == "goteo"
    assert (tmp_path / "dkim" / "goteo.private.pem").exists()
    with override_settings(
        EMAIL_CONFIG=config,
        GOTEO_DKIM_SELECTOR=SELECTOR,
        GOTEO_DKIM_PRIVATE_KEY_FILE=str(key_file),
        GOTEO_DKIM_DOMAIN="mail.example.org",
    ):
        signed = build_worker(ManualClock(T0))
    unsigned_smtp, signed_smtp = (email_transport(w) for w in (unsigned, signed))
    assert isinstance(unsigned_smtp, SmtpChannel) and unsigned_smtp.signer is None
    assert isinstance(signed_smtp, SmtpChannel) and signed_smtp.signer is not None
    assert (signed_smtp.signer.selector, signed_smtp.signer.domain) == (
        SELECTOR,
        "mail.example.org",
    )


@pytest.mark.slow  # runs `goteo worker` as real processes
def test_goteo_worker_explains_an_unusable_setting_in_one_line(
    goteo_env: dict[str, str], tmp_path: Path
) -> None:
    smtp = {"GOTEO_EMAIL_URL": "smtp://127.0.0.1:9"}
    missing = str(tmp_path / "nope.pem")
    env = goteo_env | smtp | {"GOTEO_DKIM_SELECTOR": "s1", "GOTEO_DKIM_PRIVATE_KEY_FILE": missing}
    result = goteo(env, "worker", "--until-idle", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: configuration: GOTEO_DKIM_PRIVATE_KEY_FILE '{missing}' does not exist"
    )
    result = goteo(goteo_env | smtp | {"GOTEO_POSTAL_ADDRESS": ""}, "worker", check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: configuration: GOTEO_POSTAL_ADDRESS is empty")
    assert len(result.stderr.strip().splitlines()) == 1


def test_templates_can_link_the_preference_centre() -> None:
    from goteo.campaigns.versions import parse_checked
    from goteo.channels.email.composer import Composer, Sender
    from goteo.contacts.tokens import contact_from_preference_token

    campaign = parse_checked(
        "key: prefs\nsteps:\n  - send: email\n    template: t\ntemplates:\n  t:\n    en:\n"
        "      subject: Hi\n      html: '<a href=\"{{ preferences_url }}\">Preferences</a>'\n"
    )
    composer = Composer(Sender("News <news@example.com>", "https://goteo.example.com", "k"))
    contact = {"id": 42, "email": "ana@example.com", "first_name": "", "last_name": "",
               "locale": "en", "timezone": "", "attributes": {}}  # fmt: skip
    message = composer.compose(1, campaign, "t", "en", contact)
    link = message.html.split('href="', 1)[1].split('"', 1)[0]
    assert link.startswith("https://goteo.example.com/p/")
    assert contact_from_preference_token(link.rsplit("/", 1)[1]) == 42
