"""The REST API under ``/api/v1/`` (included there by ``goteo.web.urls``).

Every operation is written with Django Ninja and registers itself with ``ninja_api.api`` when
its module is imported.
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

urlpatterns = [path("", include(operation_urls()))]
