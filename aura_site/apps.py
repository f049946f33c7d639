from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .groups import groups_complete_after_migrate


class AuraSiteConfig(AppConfig):
    name = "aura_site"
    verbose_name = "Access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After auth's own receiver (django.contrib.auth is installed first), so the permissions exist.
        post_migrate.connect(groups_complete_after_migrate, dispatch_uid="aura_site.groups_complete")
