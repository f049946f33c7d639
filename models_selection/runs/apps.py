from django.apps import AppConfig


class RunsConfig(AppConfig):
    """Runs: the orchestrator that plans and executes jobs over preferences, model selection and costs."""

    name = "models_selection.runs"
    label = "runs"
    verbose_name = "Runs"
    default_auto_field = "django.db.models.BigAutoField"
