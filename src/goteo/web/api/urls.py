"""The REST API under ``/api/v1/`` (included there by ``goteo.web.urls``).

The operations written with Django Ninja register themselves with ``ninja_api.api`` when
their module is imported; the rest are Django views.
"""

from django.urls import include, path

from goteo.web.api import (  # noqa: F401  (each registers its Ninja operations)
    campaigns,
    contacts,
    deliveries,
    events,
    exposures,
    gdpr,
    leads,
    openapi,
    reports,
    results,
)
from goteo.web.api.ninja_api import operation_urls

urlpatterns = [
    path("contacts", contacts.contacts, name="api-contacts"),  # GET lists, POST upserts
    path("contacts/<str:email>/export", gdpr.export_contact, name="api-export"),
    path("contacts/<str:email>", gdpr.contact, name="api-contact-erase"),  # DELETE
    path("contacts/<str:email>", contacts.contact_detail, name="api-contact"),
    path("events", events.events, name="api-events"),
    path("openapi.json", openapi.openapi_json, name="api-openapi"),
    path("", include(operation_urls())),
]
