"""Admin: catalog, providers (key write-only), selections, probes; the audit log is read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from aura_site.admin import ReadOnlyAdmin
from aura_site.errors import DomainError

from . import connections
from .models import (
    CatalogModel,
    ModelSelection,
    ProbeResult,
    Provider,
    ResolutionAudit,
    SelectionChange,
    SelectionSettings,
)
from .selectors import provider_state


class SlotStageFilter(admin.AllValuesFieldListFilter):
    """Stage filter where the empty stage (a slot for every stage) has a name, so its link is not empty."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"] == "":
                choice["display"] = "(every stage)"
            yield choice


@admin.register(CatalogModel)
class CatalogModelAdmin(admin.ModelAdmin):
    list_display = [
        "model_id",
        "provider",
        "context_window",
        "max_tokens",
        "is_deprecated",
        "is_retired",
        "replacement",
        "last_probe_ok",
    ]
    list_filter = ["provider", "is_deprecated", "is_retired", "last_probe_ok"]
    search_fields = ["model_id", "replacement", "notes"]
    readonly_fields = ["last_probe_ok", "last_probe_error", "last_probe_latency_ms", "last_probed_at"]


class ProviderForm(forms.ModelForm):
    """The API key is write-only: the field starts empty, empty keeps the stored key."""

    api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave empty to keep the stored key; tick 'Remove key' to delete it.",
    )
    remove_api_key = forms.BooleanField(required=False, label="Remove key")

    class Meta:
        model = Provider
        fields = ["name", "kind", "base_url", "needs_api_key", "enabled"]

    def clean_base_url(self) -> str:
        try:
            return connections.provider_base_url_clean(self.cleaned_data.get("base_url") or "")
        except DomainError as error:
            raise forms.ValidationError(error.errors[0].message if error.errors else error.detail) from None


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    form = ProviderForm
    list_display = ["name", "kind", "enabled", "needs_api_key", "has_api_key", "effective_base_url"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["has_api_key", "effective_base_url"]

    @admin.display(boolean=True, description="API key")
    def has_api_key(self, obj: Provider) -> bool:
        return provider_state(obj).has_api_key

    @admin.display(description="Base URL in use")
    def effective_base_url(self, obj: Provider) -> str:
        return provider_state(obj).base_url

    def save_model(self, request, obj: Provider, form, change: bool) -> None:
        stored = Provider.objects.filter(pk=obj.pk).first() if change else None
        url_before = provider_state(stored).base_url if stored else None
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("remove_api_key"):
            connections.provider_update(name=obj.name, api_key="")
        elif form.cleaned_data.get("api_key"):
            connections.provider_update(name=obj.name, api_key=form.cleaned_data["api_key"])
        elif url_before is not None and connections.provider_base_url_changed(name=obj.name, url_before=url_before):
            # A key belongs to the URL it was saved with; it is never sent to a new one.
            messages.warning(request, f"The base URL of {obj.name} changed, so its stored API key was removed; "
                                      "enter the key again if it belongs to the new URL.")


@admin.register(ModelSelection)
class ModelSelectionAdmin(admin.ModelAdmin):
    list_display = [
        "scope",
        "stage",
        "project_id",
        "provider",
        "model_id",
        "is_pinned",
        "set_by_name",
        "set_at",
    ]
    list_filter = ["scope", ("stage", SlotStageFilter), "is_pinned", "provider"]
    search_fields = ["project_id", "model_id", "reason"]


@admin.register(SelectionSettings)
class SelectionSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "updated_by_name", "updated_at"]


@admin.register(ResolutionAudit)
class ResolutionAuditAdmin(ReadOnlyAdmin):
    list_display = [
        "timestamp",
        "stage",
        "source",
        "provider",
        "model_id",
        "is_pinned",
        "is_blocked",
        "job_id",
    ]
    list_filter = ["stage", "source", "is_blocked", "is_pinned", "provider"]
    search_fields = ["job_id", "correlation_id", "model_id", "reasoning"]
    date_hierarchy = "timestamp"

    def get_actions(self, request):
        return {}  # not even the bulk "delete selected" action


@admin.register(SelectionChange)
class SelectionChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "action", "scope", "stage", "project_id", "changed_by_name", "reason"]
    list_filter = ["action", "scope", ("stage", SlotStageFilter)]


@admin.register(ProbeResult)
class ProbeResultAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "provider",
        "model_id",
        "status",
        "is_available",
        "latency_ms",
        "error_message",
    ]
    list_filter = ["provider", "status", "is_available"]
    search_fields = ["model_id", "error_message"]
