"""The mail channel (``send: mail``): prepare renders the mailer, a print provider delivers it.

``prepare`` checks the contact's postal address (a contact without a usable one is skipped:
the row ends suppressed with the reason, never failed), renders the step's template for that
contact into a print-ready PDF with its personal URL and QR code, and stores the template's
landing page as the mailer's one link (so a scan of ``/m/<token>`` is a click on this
delivery). ``deliver`` hands the PDF to the print provider ``GOTEO_MAIL_URL`` names: the
print-house spool or the print-and-mail API, whose answer carries the expected in-home date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from goteo.channels.base import Draft, Prepared, PrepareError, Price, Result, Skip
from goteo.channels.direct_mail.formats import DEFAULT_FORMAT, page_format
from goteo.channels.direct_mail.lob import LobChannel
from goteo.channels.direct_mail.prices import SETTING, PriceList
from goteo.channels.direct_mail.print_house import PrintHouse
from goteo.channels.direct_mail.qr import personal_url
from goteo.channels.direct_mail.render import Mailer, MailerTemplate, render_mailer
from goteo.channels.email.composer import Sender
from goteo.contacts.postal import usable_address
from goteo.contacts.suppression_keys import email_hash
from goteo.contacts.tokens import preference_token, unsubscribe_token
from goteo.content.context import contact_context, render_context
from goteo.content.render import RenderError, one_line
from goteo.engine.channel_needs import TRACKING
from goteo.engine.model import Campaign, TemplateVariant


@dataclass
class MailProvider:
    backend: PrintHouse | LobChannel
    sender: Sender  # the base URL and secret for the personal URL, the return address
    prices: PriceList | None = None  # GOTEO_MAIL_PRICES: what each mailer costs
    name: str = "mail"
    capabilities: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        # Scans of the personal URL are tracked; the rest is the print provider's.
        self.capabilities = frozenset({TRACKING}) | self.backend.capabilities

    def prepare(self, draft: Draft) -> Prepared:
        mailer, variant = render_draft(draft, self.sender)
        address, fmt = mailer.address, mailer.format
        price, unpriced = self.price(fmt.key, address.country)
        return Prepared(
            draft.delivery_id,
            mailer,
            to_address=", ".join(address.formatted()),
            address_hash=email_hash(draft.contact["email"]),
            # What the outbox shows: the template's subject as written, with the format.
            subject=f"{one_line(variant.subject) or f'{fmt.kind} {draft.template}'} ({fmt.key})",
            links=(variant.landing or self.sender.base_url,),
            price=price,
            unpriced=unpriced,
        )

    def price(self, fmt: str, country: str) -> tuple[Price | None, str]:
        """The mailer's price from the price list, or None and why it has none."""
        if self.prices is None:
            return None, f"no mail prices configured ({SETTING})"
        price = self.prices.price(fmt, country)
        return price, "" if price is not None else self.prices.unpriced(fmt, country)

    def deliver(self, message: Prepared) -> Result:
        assert isinstance(message.payload, Mailer)
        return self.backend.deliver(message.payload)

    def close(self) -> None:
        if isinstance(self.backend, LobChannel):
            self.backend.close()


def render_draft(draft: Draft, sender: Sender) -> tuple[Mailer, TemplateVariant]:
    """The mailer one row prints (and its template's variant): Skip for a contact without a
    usable postal address, PrepareError for a template that cannot be rendered. The web
    app's preview renders through here too."""
    address, why = usable_address(draft.contact.get("postal_address"))
    if address is None:
        raise Skip(f"skipped: {why}")
    locale, variant = _variant(draft.campaign, draft.template, draft.locale)
    try:
        fmt = page_format(variant.format or DEFAULT_FORMAT)
    except ValueError as exc:
        raise PrepareError(f"template {draft.template!r} ({locale}) format: {exc}") from exc
    url = personal_url(sender.base_url, sender.secret, draft.delivery_id)
    template = MailerTemplate(variant.html, variant.front or "", f"template {draft.template!r}")
    try:
        mailer = render_mailer(
            template, _context(draft, sender), delivery_id=draft.delivery_id, fmt=fmt,
            address=address, sender=sender.postal_address, url=url, lang=locale,
        )  # fmt: skip
    except RenderError as exc:
        raise PrepareError(str(exc)) from exc
    return mailer, variant


def _context(draft: Draft, sender: Sender) -> dict[str, object]:
    contact, base = draft.contact, sender.base_url
    person = contact_context(
        email=contact["email"], first_name=contact["first_name"],
        last_name=contact["last_name"], locale=contact["locale"],
        timezone=contact["timezone"], attributes=contact["attributes"],
    )  # fmt: skip
    return render_context(
        person,
        campaign_key=draft.campaign.key,
        campaign_name=draft.campaign.name,
        message_id="",
        unsubscribe_url=f"{base}/u/{unsubscribe_token(contact['id'])}",
        preferences_url=f"{base}/p/{preference_token(contact['id'])}",
        base_url=base,
        postal_address=sender.postal_address,
    ) | dict(draft.context)


def _variant(campaign: Campaign, name: str, locale: str) -> tuple[str, TemplateVariant]:
    """The template's variant for the locale, else the campaign's default one."""
    by_locale = campaign.templates.get(name) or {}
    for wanted in (locale, campaign.default_locale):
        if wanted in by_locale:
            return wanted, by_locale[wanted]
    raise PrepareError(f"campaign {campaign.key!r} has no template {name!r} for {locale!r}")
