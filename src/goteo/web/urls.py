from django.urls import path

from goteo.web import api, outbox, public

urlpatterns = [
    path("healthz", api.health, name="health"),
    path("api/v1/campaigns", api.campaigns, name="api-campaigns"),
    path("api/v1/contacts", api.contacts, name="api-contacts"),
    path("api/v1/contacts/<str:email>", api.contact_detail, name="api-contact"),
    path("api/v1/deliveries", api.deliveries, name="api-deliveries"),
    path("u/<str:token>", public.unsubscribe, name="unsubscribe"),
    path("outbox", outbox.outbox, name="outbox"),
    path("outbox/<str:key>", outbox.message, name="outbox-message"),
]
