"""Every route the server answers, one ``urls.py`` per concern (docs/architecture.md#the-web).

The public pages and tracking endpoints set no cookie and need none; the web app under
``/app/`` has sessions and sign-in of its own (``goteo.console``).
"""

from django.urls import include, path

urlpatterns = [
    path("", include("goteo.web.public.urls")),
    path("", include("goteo.web.ops.urls")),
    path("api/v1/", include("goteo.web.api.urls")),
    path("", include("goteo.web.tracking.urls")),
    path("webhooks/", include("goteo.web.webhooks.urls")),
    path("app/", include("goteo.console.urls")),
]
