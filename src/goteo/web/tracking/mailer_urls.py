"""A mailer's QR code and short personal URL (``/m/<token>``): a scan is a click on its step.

The token names the delivery (``goteo.contacts.tracking_tokens.mail_token``); the redirect
goes to the landing page stored as the mailer's link 0 when it was rendered, and nowhere
else. The click is recorded on that delivery, so it counts for ``wait_for`` and attribution
like an email click, with ``mail`` as its source. HEAD requests and prefetches only look.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from goteo.actions.engagement import do_record_click, stored_link
from goteo.campaigns import journey_clock
from goteo.campaigns.models import Delivery
from goteo.contacts.tracking_tokens import read_mail_token
from goteo.web.tracking.email import NO_STORE, looking_only, not_found

LANDING = 0  # a mailer's one link: its step's landing page


@require_http_methods(["GET", "HEAD"])
def personal_url(request: HttpRequest, token: str) -> HttpResponse:
    delivery_id = read_mail_token(settings.SECRET_KEY, token.lower())
    if delivery_id is None:
        return not_found()
    if looking_only(request):
        links = Delivery.objects.filter(id=delivery_id).values_list("links", flat=True)
        url = stored_link(links.first(), LANDING)
    else:
        url = do_record_click(delivery_id, LANDING, journey_clock.now(), source="mail")
    if url is None:
        return not_found()
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "no-referrer"
    return response
