"""Open pixels (``/o/<token>``) and tracked links (``/l/<token>``) of marketing email.

A link token names a delivery and the index of one of its links; the redirect goes only to
the URL stored at that index when the message was sent. Any token that does not verify, and
any index past the stored links, is answered 404 without a Location header: the redirect can
never be pointed somewhere else. HEAD requests and browser prefetches are answered without
being counted, so link scanners that only look do not count as clicks or opens.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from goteo.actions.engagement import do_record_click, do_record_open, stored_link
from goteo.campaigns import journey_clock
from goteo.campaigns.models import Delivery
from goteo.contacts.tracking_tokens import read_click_token, read_open_token

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = "no-store, no-cache, must-revalidate, private"


def looking_only(request: HttpRequest) -> bool:
    """A HEAD request or a prefetch: someone checking the link, not a person following it."""
    purpose = request.headers.get("Sec-Purpose", "") + request.headers.get("Purpose", "")
    return request.method == "HEAD" or "prefetch" in purpose.lower()


def not_found() -> HttpResponse:
    response = HttpResponse("not found\n", status=404, content_type="text/plain")
    response["Cache-Control"] = NO_STORE
    return response


@require_http_methods(["GET", "HEAD"])
def pixel(request: HttpRequest, token: str) -> HttpResponse:
    delivery_id = read_open_token(settings.SECRET_KEY, token)
    if delivery_id is None:
        return not_found()
    if looking_only(request):
        found = Delivery.objects.filter(id=delivery_id).exists()
    else:
        found = do_record_open(delivery_id, journey_clock.now())
    if not found:
        return not_found()
    response = HttpResponse(GIF, content_type="image/gif")
    response["Cache-Control"] = NO_STORE
    return response


@require_http_methods(["GET", "HEAD"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    click = read_click_token(settings.SECRET_KEY, token)
    if click is None:
        return not_found()
    if looking_only(request):
        links = Delivery.objects.filter(id=click.delivery_id).values_list("links", flat=True)
        url = stored_link(links.first(), click.index)
    else:
        url = do_record_click(click.delivery_id, click.index, journey_clock.now())
    if url is None:
        return not_found()
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = NO_STORE
    response["Referrer-Policy"] = "no-referrer"  # the token is not passed on to the site
    return response
