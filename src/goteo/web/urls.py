from django.urls import path

from goteo.web import (
    api,
    contacts_api,
    email_tracking,
    events_api,
    forms_views,
    gdpr_views,
    leads_api,
    mail_tracking,
    openapi,
    outbox,
    preferences,
    public,
    reports_api,
    start,
    tracking,
    webhooks,
)

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
    path("api/v1/conversions", reports_api.conversions, name="api-conversions"),
    path("api/v1/leads/hot", leads_api.hot, name="api-leads-hot"),
    path("u/<str:token>", public.unsubscribe, name="unsubscribe"),
    path("f/<str:key>", forms_views.hosted_form, name="form"),
    path("f/<str:key>/submit", forms_views.embedded_submit, name="form-submit"),
    path("c/<str:token>", forms_views.confirm, name="confirm"),
    path("p/<str:token>", preferences.preferences, name="preferences"),
    path("t.js", tracking.snippet, name="tracking-snippet"),
    path("t/collect", tracking.collect, name="tracking-collect"),
    path("o/<str:token>", email_tracking.pixel, name="open-pixel"),
    path("l/<str:token>", email_tracking.link, name="tracked-link"),
    path("m/<str:token>", mail_tracking.personal_url, name="mail-url"),
    path("webhooks/<str:esp>/tracking/", webhooks.tracking_webhook, name="tracking-webhook"),
    path("outbox", outbox.outbox, name="outbox"),
    path("outbox/<str:key>", outbox.message, name="outbox-message"),
]
