from django.apps import AppConfig


class ModelsSelectionConfig(AppConfig):
    name = "models_selection"
    verbose_name = "Model selection"
    default_auto_field = "django.db.models.BigAutoField"
