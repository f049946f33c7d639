"""Admin for every kind of preference: same rules as the API (model validation), bulk actions."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from aura_site.errors import DomainError

from . import services
from .kinds import KINDS, Kind
from .models import ActiveSelection


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
        actions = ["mark_favorite", "clone_selected", "export_selected"]

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
            if not kind.has("is_favorite"):
                return
            count = services.preference_set_favorite(kind=kind, item_ids=list(queryset.values_list("pk", flat=True)))
            self.message_user(request, f"Marked {count} as favorite.", messages.SUCCESS)

        @admin.action(description="Clone selected", permissions=["add"])
        def clone_selected(self, request, queryset) -> None:
            made = 0
            for obj in queryset:
                try:
                    services.preference_clone(kind=kind, item_id=obj.pk)
                    made += 1
                except DomainError as error:
                    self.message_user(request, f"{obj.name}: {error.detail}", messages.ERROR)
            self.message_user(request, f"Cloned {made} item(s).", messages.SUCCESS)

        @admin.action(description="Export selected as JSON", permissions=["view"])
        def export_selected(self, request, queryset) -> HttpResponse:
            document = {"version": services.EXPORT_VERSION, kind.key: [kind.to_wire(o) for o in queryset]}
            response = HttpResponse(json.dumps(document, indent=2), content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="{kind.slug}.json"'
            return response

    PreferenceAdmin.__name__ = f"{model.__name__}Admin"
    PreferenceAdmin.formfield_overrides = {models.JSONField: {"help_text": 'A JSON list, e.g. ["one", "two"]'}}
    return PreferenceAdmin


for _kind in KINDS:
    admin.site.register(_kind.model, _admin_for(_kind))


@admin.register(ActiveSelection)
class ActiveSelectionAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "object_id", "selected_at"]
