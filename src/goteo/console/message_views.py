"""A campaign's messages: the list of its send steps' templates, and one message previewed
for a chosen contact and locale. Read-only: the campaign editor changes the words.

The preview page forbids every script (``page_policies``) and shows the
message's HTML in an ``<iframe sandbox srcdoc=…>`` without ``allow-scripts`` or
``allow-same-origin``, so nothing a template or a contact field holds can run.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from goteo.actions.coupons import sample_coupon
from goteo.campaigns import journey_clock
from goteo.campaigns.models import Campaign, CampaignVersion
from goteo.campaigns.versions import campaign_for_version
from goteo.console.access import page
from goteo.console.message_list import campaign_messages, offered_locales
from goteo.console.page_policies import framed
from goteo.console.previews import CONTACT_FIELDS, SAMPLE, preview, variant_locale
from goteo.console.rendering import show
from goteo.contacts.models import Contact
from goteo.engine.model import SendStep

MATCHES = 10


def _version(key: str) -> tuple[Campaign, CampaignVersion]:
    row = Campaign.objects.select_related("current_version").filter(key=key).first()
    if row is None or row.current_version is None:
        raise Http404(key)
    return row, row.current_version


@page
def messages(request: HttpRequest, key: str) -> HttpResponse:
    row, version = _version(key)
    context = {"campaign": row, "version": version, "found": campaign_messages(version.source)}
    return show(request, "console/messages.html", context, section="campaigns")


def _contact(wanted: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The contact whose address is ``wanted``, else up to ten whose addresses contain it."""
    rows = Contact.objects.values(*CONTACT_FIELDS)
    exact = rows.filter(email=wanted.strip().lower()).first()
    if exact is not None:
        return exact, []
    like = rows.filter(email__icontains=wanted.strip()).order_by("email")[:MATCHES]
    return None, [c["email"] for c in like]


@page
def message_preview(request: HttpRequest, key: str, template: str) -> HttpResponse:
    row, version = _version(key)
    campaign = campaign_for_version(version.id, version.checksum)
    steps = [s for s in campaign.steps if isinstance(s, SendStep) and s.template == template]
    if not steps:
        raise Http404(template)
    step = next((s for s in steps if s.coupon is not None), steps[0])
    extra = sample_coupon(step.coupon, journey_clock.now()) if step.coupon is not None else {}
    wanted = request.GET.get("contact", "").strip()[:320]
    contact, matches = _contact(wanted) if wanted else (None, [])
    person = contact or SAMPLE
    offered = offered_locales(campaign)
    chosen = request.GET.get("locale", "")
    own = chosen not in offered  # the contact's own language, as the worker resolves it
    if own:
        chosen = variant_locale(campaign, template, person["locale"])
    channel = step.channel
    context = {
        "campaign": row,
        "template": template,
        "channel": channel,
        "offered": offered,
        "chosen": chosen,
        "own": own,
        "wanted": wanted,
        "contact": contact,
        "matches": matches,
        "shown": preview(campaign, template, channel, chosen, person, extra),
        "coupon": extra.get("coupon"),
    }
    return framed(show(request, "console/message_preview.html", context, section="campaigns"))
