"""Admin for every kind of preference: same rules as the API (model validation), bulk actions."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from aura_site.errors import DomainError

from . import services, transfer
from .kinds import KINDS, Kind
from .models import ActiveSelection


class ListOrJSONField(forms.JSONField):
    """A list field in admin: a JSON list (["a", "b"]) or simply a comma-separated list (a, b)."""

    def to_python(self, value):
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return []
            if text[0] not in '[{"':
                return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
        return super().to_python(value)

    def bound_data(self, data, initial):
        if isinstance(data, str) and data.strip() and data.strip()[0] not in '[{"':
            return self.to_python(data)  # shown back as JSON, which is what it will be saved as
        return super().bound_data(data, initial)


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        tags: set[str] = set()
        for row in model_admin.model.objects.values_list("tags", flat=True)[:2000]:
            tags.update(row or [])
        return [(t, t) for t in sorted(tags)[:100]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__icontains=json.dumps(self.value()))
        return queryset


def _set_favorite(model_admin, request, kind: Kind, queryset, *, favorite: bool) -> None:
    """The favorite actions: mark (or unmark) the selected items; a kind without favorites ignores them."""
    if not kind.has("is_favorite"):
        return
    ids = list(queryset.values_list("pk", flat=True))
    count = services.preference_set_favorite(kind=kind, item_ids=ids, favorite=favorite)
    text = f"Marked {count} as favorite." if favorite else f"Removed {count} from favorites."
    model_admin.message_user(request, text, messages.SUCCESS)


def _clone_each(model_admin, request, kind: Kind, queryset) -> None:
    """The clone action: an editable copy of each selected item; one that cannot be copied is named."""
    made = 0
    for obj in queryset:
        try:
            services.preference_clone(kind=kind, item_id=obj.pk)
            made += 1
        except DomainError as error:
            model_admin.message_user(request, f"{obj.name}: {error.detail}", messages.ERROR)
    model_admin.message_user(request, f"Cloned {made} item(s).", messages.SUCCESS)


def _admin_for(kind: Kind) -> type[admin.ModelAdmin]:
    model = kind.model
    enum_fields = [f.name for f in kind.input_fields if f.choices]
    flags = [name for name in ("is_favorite", "is_preset", "is_default") if kind.has(name)]

    class PreferenceAdmin(SimpleHistoryAdmin):
        list_display = ["name", *enum_fields[:3], *flags, "updated_at"]
        list_filter = [*flags, *enum_fields, TagFilter]
        search_fields = ["name", "description"]
        readonly_fields = ["id", "created_at", "updated_at"] + [
            n for n in ("is_preset", "success_count", "failure_count") if kind.has(n)
        ]
        actions = ["mark_favorite", "remove_favorite", "clone_selected", "export_selected", "delete_selected"]

        def has_change_permission(self, request, obj=None) -> bool:
            if obj is not None and getattr(obj, "is_preset", False):
                return False
            return super().has_change_permission(request, obj)

        def has_delete_permission(self, request, obj=None) -> bool:
            if obj is not None and getattr(obj, "is_preset", False):
                return False
            return super().has_delete_permission(request, obj)

        def save_model(self, request, obj, form, change) -> None:
            obj.updated_at = timezone.now()
            super().save_model(request, obj, form, change)

        def delete_model(self, request, obj) -> None:
            services.preference_delete(kind=kind, item_id=obj.pk)

        def delete_queryset(self, request, queryset) -> None:
            for obj in queryset.filter(**({"is_preset": False} if kind.has("is_preset") else {})):
                services.preference_delete(kind=kind, item_id=obj.pk)

        @admin.action(description="Mark selected as favorite", permissions=["change"])
        def mark_favorite(self, request, queryset) -> None:
            _set_favorite(self, request, kind, queryset, favorite=True)

        @admin.action(description="Remove selected from favorites", permissions=["change"])
        def remove_favorite(self, request, queryset) -> None:
            _set_favorite(self, request, kind, queryset, favorite=False)

        @admin.action(description="Delete selected %(verbose_name_plural)s", permissions=["delete"])
        def delete_selected(self, request, queryset):
            """Django's bulk delete, but a selected preset is named instead of a permission message."""
            if kind.has("is_preset"):
                presets = list(queryset.filter(is_preset=True).order_by("name").values_list("name", flat=True))
                if presets:
                    self.message_user(
                        request, f"Presets are read-only and cannot be deleted: {', '.join(presets)}. "
                                 "Deselect them and delete the others again; nothing was deleted.", messages.ERROR)
                    return None
            return django_delete_selected(self, request, queryset)

        @admin.action(description="Clone selected", permissions=["add"])
        def clone_selected(self, request, queryset) -> None:
            _clone_each(self, request, kind, queryset)

        @admin.action(description="Export selected as JSON", permissions=["view"])
        def export_selected(self, request, queryset) -> HttpResponse:
            document = {"version": transfer.EXPORT_VERSION, kind.key: list(kind.wire_rows(queryset))}
            response = HttpResponse(transfer.export_json(document, indent=2), content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="{kind.slug}.json"'
            return response

    PreferenceAdmin.__name__ = f"{model.__name__}Admin"
    PreferenceAdmin.formfield_overrides = {models.JSONField: {
        "form_class": ListOrJSONField,
        "help_text": 'A comma-separated list (one, two) or a JSON list (["one", "two"])'}}
    return PreferenceAdmin


for _kind in KINDS:
    admin.site.register(_kind.model, _admin_for(_kind))


@admin.register(ActiveSelection)
class ActiveSelectionAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "object_id", "selected_at"]
