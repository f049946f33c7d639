from django.apps import AppConfig

from aura_site.lookups import provide


class RunsConfig(AppConfig):
    """Runs: the orchestrator that plans and executes jobs over preferences, model selection and costs."""

    name = "models_selection.runs"
    label = "runs"
    verbose_name = "Runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # What the costs app asks of runs without importing them (see aura_site.lookups).
        from . import selectors

        provide("job_creators", selectors.job_creators)
