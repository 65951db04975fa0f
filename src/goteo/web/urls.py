from django.urls import include, path

from goteo.web import (
    api,
    contacts_api,
    email_tracking,
    events_api,
    exposure_report_api,
    forms_views,
    gdpr_views,
    leads_api,
    mail_tracking,
    mail_webhooks,
    openapi,
    outbox,
    preferences,
    public,
    reports_api,
    results_api,  # noqa: F401  (registers its Ninja operations)
    social_feed,
    start,
    tracking,
    twilio_webhooks,
    webhooks,
)
from goteo.web.ninja_api import operation_urls

urlpatterns = [
    path("", start.start, name="start"),
    path("healthz", api.health, name="health"),
    path("api/v1/campaigns", api.campaigns, name="api-campaigns"),
    path("api/v1/contacts", contacts_api.contacts, name="api-contacts"),  # GET lists, POST upserts
    path("api/v1/contacts/<str:email>/export", gdpr_views.export_contact, name="api-export"),
    path("api/v1/contacts/<str:email>", gdpr_views.contact, name="api-contact-erase"),  # DELETE
    path("api/v1/contacts/<str:email>", api.contact_detail, name="api-contact"),
    path("api/v1/deliveries", api.deliveries, name="api-deliveries"),
    path("api/v1/events", events_api.events, name="api-events"),
    path("api/v1/openapi.json", openapi.openapi_json, name="api-openapi"),
    path("api/v1/reports/campaigns/<str:key>", reports_api.campaign, name="api-report"),
    path("api/v1/reports/exposures", exposure_report_api.exposures, name="api-exposures"),
    path(
        "api/v1/reports/exposures.svg",
        exposure_report_api.exposures_svg,
        name="api-exposures-svg",
    ),
    path("api/v1/conversions", reports_api.conversions, name="api-conversions"),
    path("api/v1/leads/hot", leads_api.hot, name="api-leads-hot"),
    # Operations written with Django Ninja (web/ninja_api.py): reports over time, A/B results.
    path("api/v1/", include(operation_urls())),
    path("u/<str:token>", public.unsubscribe, name="unsubscribe"),
    path("f/<str:key>", forms_views.hosted_form, name="form"),
    path("f/<str:key>/submit", forms_views.embedded_submit, name="form-submit"),
    path("c/<str:token>", forms_views.confirm, name="confirm"),
    path("p/<str:token>", preferences.preferences, name="preferences"),
    path("t.js", tracking.snippet, name="tracking-snippet"),
    path("t/collect", tracking.collect, name="tracking-collect"),
    path("o/<str:token>", email_tracking.pixel, name="open-pixel"),
    path("l/<str:token>", email_tracking.link, name="tracked-link"),
    path("webhooks/twilio/sms/", twilio_webhooks.inbound_sms, name="twilio-sms"),
    path("webhooks/twilio/status/", twilio_webhooks.status_callback, name="twilio-status"),
    path("m/<str:token>", mail_tracking.personal_url, name="mail-url"),
    path("webhooks/mail/status", mail_webhooks.mail_status, name="mail-status-webhook"),
    path("webhooks/<str:esp>/tracking/", webhooks.tracking_webhook, name="tracking-webhook"),
    path("feeds/<slug:key>.atom", social_feed.calendar_feed, name="social-feed"),
    path("outbox", outbox.outbox, name="outbox"),
    path("outbox/<str:key>", outbox.message, name="outbox-message"),
    path("app/", include("goteo.console.urls")),
]
