"""The print provider's status webhook (``POST /webhooks/mail/status``).

Only a call signed with ``GOTEO_MAIL_WEBHOOK_SECRET`` and current is read (a forged, altered or
replayed one is answered 403 and changes nothing); it is normalised to Goteo's mail statuses
and applied to the mailer's delivery (``actions/mail_status.py``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from goteo.actions.mail_status import do_record_mail_status
from goteo.campaigns import journey_clock
from goteo.channels.direct_mail.lob_webhooks import BadWebhook, parse, verify

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def mail_status(request: HttpRequest) -> HttpResponse:
    body = request.body
    try:
        verify(settings.GOTEO_MAIL_WEBHOOK_SECRET, request.headers, body, journey_clock.now())
    except BadWebhook as exc:
        log.warning("mail status webhook refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=403)
    try:
        status = parse(body)
    except BadWebhook as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    recorded = do_record_mail_status(status, journey_clock.now())
    return JsonResponse({"status": status.status, "recorded": recorded})
