"""The REST API under ``/api/v1/`` (included there by ``goteo.web.urls``)."""

from django.urls import include, path

from goteo.web.api import (
    campaigns,
    contacts,
    deliveries,
    events,
    exposures,
    gdpr,
    leads,
    openapi,
    reports,
    results,  # noqa: F401  (registers its Ninja operations)
)
from goteo.web.api.ninja_api import operation_urls

urlpatterns = [
    path("campaigns", campaigns.campaigns, name="api-campaigns"),
    path("contacts", contacts.contacts, name="api-contacts"),  # GET lists, POST upserts
    path("contacts/<str:email>/export", gdpr.export_contact, name="api-export"),
    path("contacts/<str:email>", gdpr.contact, name="api-contact-erase"),  # DELETE
    path("contacts/<str:email>", contacts.contact_detail, name="api-contact"),
    path("deliveries", deliveries.deliveries, name="api-deliveries"),
    path("events", events.events, name="api-events"),
    path("openapi.json", openapi.openapi_json, name="api-openapi"),
    path("reports/campaigns/<str:key>", reports.campaign, name="api-report"),
    path("reports/exposures", exposures.exposures, name="api-exposures"),
    path("reports/exposures.svg", exposures.exposures_svg, name="api-exposures-svg"),
    path("conversions", reports.conversions, name="api-conversions"),
    path("leads/hot", leads.hot, name="api-leads-hot"),
    # Operations written with Django Ninja (ninja_api.py): reports over time, A/B results.
    path("", include(operation_urls())),
]
