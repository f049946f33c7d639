"""Model catalog, providers, selections, the resolution audit log and probes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from . import providers

# The built-in kinds of models_selection.providers as choices (ProviderKind.OPENAI_COMPATIBLE…). The field
# reads the registry itself (`kind_choices`), so a kind registered later is a valid choice too.
ProviderKind = models.TextChoices(
    "ProviderKind", [(p.kind.upper(), (p.kind, p.label)) for p in providers.registered()]
)


class Scope(models.TextChoices):
    GLOBAL = "Global"
    STAGE = "Stage"
    PROJECT = "Project"


class Source(models.TextChoices):
    RUN_OVERRIDE_PINNED = "RunOverridePinned"
    RUN_OVERRIDE = "RunOverride"
    STAGE_PINNED = "StagePinned"
    STAGE = "Stage"
    PROJECT_OVERRIDE = "ProjectOverride"
    GLOBAL_DEFAULT = "GlobalDefault"
    AUTOMATIC_FALLBACK = "AutomaticFallback"


class Provider(models.Model):
    """A model vendor or endpoint; its key is stored encrypted (see models_selection.keys)."""

    name = models.CharField(max_length=50, unique=True, help_text="As used on the wire, e.g. OpenAI.")
    kind = models.CharField(max_length=20, choices=providers.kind_choices)
    base_url = models.CharField(
        max_length=300, blank=True, help_text="Empty: AURA_<NAME>_BASE_URL or the default."
    )
    encrypted_api_key = models.TextField(blank=True, editable=False)
    # The base URL the stored key was saved with: the key is never sent anywhere else.
    api_key_base_url = models.CharField(max_length=300, blank=True, editable=False)
    needs_api_key = models.BooleanField(default=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["encrypted_api_key", "api_key_base_url"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def env_prefix(self) -> str:
        """AURA_<NAME>_ for the environment variables that configure this provider."""
        cleaned = "".join(c if c.isalnum() else "_" for c in self.name.upper())
        return f"AURA_{cleaned}_"


class CatalogModel(models.Model):
    """One model a provider serves (or served): facts, stages, last probe. Its prices are in the price
    table (costs.Price), read through aura_site.pricing_seam."""

    provider = models.CharField(max_length=50, db_index=True)
    model_id = models.CharField(max_length=120)
    context_window = models.PositiveIntegerField(null=True, blank=True)
    max_tokens = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most output tokens per request."
    )
    aliases = models.JSONField(default=list, blank=True)
    is_deprecated = models.BooleanField(default=False)
    is_retired = models.BooleanField(default=False, help_text="The vendor no longer serves it: unavailable.")
    replacement = models.CharField(max_length=120, blank=True)
    stages = models.JSONField(default=list, blank=True, help_text="Stages it suits.")
    notes = models.TextField(blank=True)
    # The last probe, kept on the row so availability is read with the catalog in one query.
    last_probe_ok = models.BooleanField(null=True, blank=True)
    last_probe_error = models.TextField(blank=True)
    last_probe_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_probed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "model_id"]
        constraints = [models.UniqueConstraint(fields=["provider", "model_id"], name="catalog_unique_model")]
        verbose_name = "catalog model"

    def __str__(self) -> str:
        return f"{self.provider}:{self.model_id}"


class ModelSelection(models.Model):
    """The model chosen for one slot: Global, one Stage, or one Project (and stage)."""

    scope = models.CharField(max_length=10, choices=Scope.choices)
    stage = models.CharField(max_length=20, blank=True, help_text="Empty: every stage.")
    project_id = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=50)
    model_id = models.CharField(max_length=120)
    is_pinned = models.BooleanField(default=False)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    set_by_name = models.CharField(max_length=150, blank=True)
    set_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["scope", "project_id", "stage"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "stage", "project_id"], name="selection_one_per_slot"),
        ]

    def __str__(self) -> str:
        slot = "/".join(p for p in (self.scope, self.project_id, self.stage) if p)
        return f"{slot}: {self.provider}:{self.model_id}{' (pinned)' if self.is_pinned else ''}"


class SelectionChange(models.Model):
    """One set or clear of a selection slot: who, when, before, after, why."""

    action = models.CharField(max_length=10, choices=[("set", "set"), ("clear", "clear")])
    scope = models.CharField(max_length=10, choices=Scope.choices)
    stage = models.CharField(max_length=20, blank=True)
    project_id = models.CharField(max_length=100, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    changed_by_name = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.scope} {self.project_id} {self.stage}".strip()


class SelectionSettings(models.Model):
    """The single row of model-selection settings."""

    allow_automatic_fallback = models.BooleanField(default=False)
    updated_by_name = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "selection settings"

    def __str__(self) -> str:
        return f"automatic fallback {'on' if self.allow_automatic_fallback else 'off'}"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit entry."""


class ResolutionAuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The resolution audit log is append-only.")

    def delete(self):
        raise AppendOnlyError("The resolution audit log is append-only.")


class ResolutionAudit(models.Model):
    """One resolution of one stage. Append-only: rows are never updated or deleted."""

    provider = models.CharField(max_length=50, blank=True)
    stage = models.CharField(max_length=20, db_index=True)
    model_id = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, db_index=True)
    reasoning = models.TextField()
    is_pinned = models.BooleanField(default=False)
    is_blocked = models.BooleanField(default=False, db_index=True)
    alternatives = models.JSONField(default=list, blank=True)
    timestamp = models.DateTimeField(db_index=True)
    job_id = models.CharField(max_length=64, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    objects = ResolutionAuditQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = "resolution audit entry"
        verbose_name_plural = "resolution audit log"

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.stage}: {self.source}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("The resolution audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The resolution audit log is append-only.")


class ProbeResult(models.Model):
    """One test of one model against its provider's real API. Never holds the key."""

    provider = models.CharField(max_length=50)
    model_id = models.CharField(max_length=120)
    status = models.CharField(
        max_length=10, default="pending", choices=[("pending", "pending"), ("done", "done")]
    )
    is_available = models.BooleanField(null=True)
    is_deprecated = models.BooleanField(null=True)
    context_window = models.PositiveIntegerField(null=True, blank=True)
    max_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    used_request_key = models.BooleanField(default=False)
    tested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    tested_at = models.DateTimeField(null=True, blank=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider}:{self.model_id} {self.status}"
