from django.urls import path

from goteo.web import views

urlpatterns = [
    path("healthz", views.health, name="health"),
]
