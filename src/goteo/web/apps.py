from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "goteo.web"
    label = "web"
