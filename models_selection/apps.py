from django.apps import AppConfig

from aura_site.lookups import provide


class ModelsSelectionConfig(AppConfig):
    name = "models_selection"
    verbose_name = "Model selection"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What the costs app asks of models without importing them (see aura_site.lookups).
        from . import keys, selectors

        provide("pinned_stage_models", selectors.pinned_stage_models)
        provide("outdated_models", selectors.outdated_models)
        provide("secret_encrypt", keys.key_encrypt)
        provide("secret_decrypt", keys.key_decrypt)
