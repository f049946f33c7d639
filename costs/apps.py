from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"
    verbose_name = "Costs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The price table is the source of the prices the model catalog ranks and explains by.
        from .price_source import register

        register()
