"""Providers' webhooks under ``/webhooks/``: email tracking, the print provider, Twilio."""

from django.urls import path

from goteo.web.webhooks import mail_status, tracking, twilio

urlpatterns = [
    path("twilio/sms/", twilio.inbound_sms, name="twilio-sms"),
    path("twilio/status/", twilio.status_callback, name="twilio-status"),
    path("mail/status", mail_status.mail_status, name="mail-status-webhook"),
    path("<str:esp>/tracking/", tracking.tracking_webhook, name="tracking-webhook"),
]
