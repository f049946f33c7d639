"""Admin for costs: configuration, pricing with history, a read-only ledger, alerts."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from aura_site.admin import ReadOnlyAdmin
from aura_site.supported_dates import validate_supported

from . import pricing
from .models import Alert, BudgetTotal, CostConfiguration, CostOperation, ExportJob, Hold, Price, PriceChange


@admin.register(CostConfiguration)
class CostConfigurationAdmin(SimpleHistoryAdmin):
    list_display = ["user_id", "overall_monthly_budget", "period_type", "currency", "hard_budget_limit"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateField) and field is not None:  # the custom period's days
            field.validators.append(validate_supported)
        return field


@admin.register(Price)
class PriceAdmin(SimpleHistoryAdmin):
    list_display = ["provider_name", "model_id", "provider_type", "cost_per_1k_input_tokens",
                    "cost_per_1k_output_tokens", "cost_per_1k_characters", "cost_per_image", "source", "set_at"]
    list_filter = ["provider_type", "provider_name", "source"]
    search_fields = ["provider_name", "model_id", "notes"]
    readonly_fields = ["source", "set_at", "set_by"]

    def save_model(self, request, obj, form, change) -> None:
        data = {name: form.cleaned_data[name] for name in pricing.PRICE_FIELDS if name in form.cleaned_data}
        pricing.price_set(provider_name=obj.provider_name, model_id=obj.model_id, data=data, user=request.user,
                           source="admin")


@admin.register(PriceChange)
class PriceChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "provider_name", "model_id", "changed_by"]
    list_filter = ["provider_name"]
    search_fields = ["provider_name", "model_id"]


@admin.register(CostOperation)
class CostOperationAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "job_id", "stage", "provider", "model", "cost", "cache_hit", "cost_source", "overrun",
                    "estimated"]
    list_filter = ["provider", "stage", "cache_hit", "cost_source", "overrun", "estimated",
                   ("timestamp", admin.DateFieldListFilter)]
    search_fields = ["job_id", "project_id", "idempotency_key", "model"]
    date_hierarchy = "timestamp"


@admin.register(BudgetTotal)
class BudgetTotalAdmin(ReadOnlyAdmin):
    list_display = ["period_start", "scope", "key", "spent", "held"]
    list_filter = ["scope", "period_start"]


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["job_id", "amount", "remaining", "period_start", "released_at"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["raised_at", "scope", "key", "threshold", "spent", "budget", "acknowledged_at"]
    list_filter = ["scope", "threshold", "acknowledged_at"]
    readonly_fields = [f.name for f in Alert._meta.fields if f.name not in {"acknowledged_at", "acknowledged_by"}]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "job_id", "format", "state", "rows", "created_by"]
    list_filter = ["state", "format"]
