"""Admin of runs: read-only, with the decisions taken and each executed stage inline."""

from __future__ import annotations

from django.contrib import admin

from .models import Job, JobDecision, StageRun


class JobDecisionInline(admin.TabularInline):
    model = JobDecision
    extra = 0
    can_delete = False
    readonly_fields = ["decision", "choices", "outcome", "decided_by", "decided_at", "correlation_id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class StageRunInline(admin.StackedInline):
    """Each executed stage with the exact request it sent (never a key) and what came back."""

    model = StageRun
    extra = 0
    can_delete = False
    readonly_fields = ["stage", "status", "provider", "model_id", "source", "attempts", "request", "output",
                       "input_tokens", "output_tokens", "cached_tokens", "cost", "latency_ms", "review",
                       "http_status", "error", "started_at", "finished_at"]
    exclude = ["position"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "project_id", "created_by", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "project_id", "brief"]
    readonly_fields = [
        "id",
        "brief",
        "project_id",
        "model_overrides",
        "allow_auto_fallback",
        "status",
        "resolutions",
        "created_by",
        "created_at",
        "updated_at",
        "correlation_id",
        "effective_preferences",
        "price_snapshot",
        "outcome",
        "artifacts",
        "started_at",
        "finished_at",
    ]
    inlines = [JobDecisionInline, StageRunInline]

    def has_add_permission(self, request) -> bool:
        return False  # runs are planned through the API or `aura generate`, which resolve and audit
