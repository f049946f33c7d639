from django.apps import AppConfig


class AuraSiteConfig(AppConfig):
    name = "aura_site"
    verbose_name = "Access"
    default_auto_field = "django.db.models.BigAutoField"
