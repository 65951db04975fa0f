from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "goteo.console"
    label = "console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from goteo.console.catalogues import compile_catalogues

        compile_catalogues()
