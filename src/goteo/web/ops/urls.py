"""What the operator looks at: the health check and, when switched on, the outbox pages."""

from django.urls import path

from goteo.web.ops import exposure_page, health, outbox, outbox_media

urlpatterns = [
    path("healthz", health.health, name="health"),
    path("outbox", outbox.outbox, name="outbox"),
    path("outbox/exposures", exposure_page.exposures, name="outbox-exposures"),
    path("outbox/exposures.svg", exposure_page.exposures_svg, name="outbox-exposures-svg"),
    path("outbox/mailers/<int:delivery_id>.png", outbox_media.mailer_image, name="outbox-mailer"),
    path("outbox/<str:key>", outbox.message, name="outbox-message"),
]
