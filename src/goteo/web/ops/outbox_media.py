"""``/outbox/mailers/<id>.png``: a mailer's first page, rasterised from the PDF the print-house
folder keeps (the outbox page shows it beside the emails)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from goteo.campaigns.models import Delivery
from goteo.channels.direct_mail.factory import print_house
from goteo.channels.direct_mail.preview import page_png
from goteo.web.ops.outbox import enabled


@require_GET
def mailer_image(request: HttpRequest, delivery_id: int) -> HttpResponse:
    enabled()
    house = print_house(settings.GOTEO_MAIL_URL) if settings.GOTEO_MAIL_URL else None
    if house is None or not Delivery.objects.filter(id=delivery_id, channel="mail").exists():
        raise Http404("no such mailer in a print-house folder")
    found = house.first_page(delivery_id)
    if found is None:
        raise Http404("this mailer's PDF is not in the print-house folder")
    try:
        png = page_png(*found)
    except (OSError, ValueError) as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(png, content_type="image/png")
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=60"
    return response
