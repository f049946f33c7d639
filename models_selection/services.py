"""Writes and rules of model selection: the selection slots (set, clear, their change log) and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from aura_site.errors import ValidationFailed

from .models import CatalogModel, ModelSelection, Provider, Scope, SelectionChange, SelectionSettings
from .stages import STAGES


def _username(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else ""


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- Selections ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectionOutcome:
    applied: bool
    reason: str
    deprecation_warning: str | None
    selection: ModelSelection | None


def _selection_snapshot(row: ModelSelection | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "provider": row.provider,
        "modelId": row.model_id,
        "isPinned": row.is_pinned,
        "setBy": row.set_by_name,
        "setAt": row.set_at.isoformat(),
        "reason": row.reason,
    }


def _catalog_model(
    provider: str, model_id: str, *, provider_field: str = "provider", model_field: str = "modelId"
) -> tuple[Provider, CatalogModel]:
    """The provider row and catalog row (aliases resolved), or a 422 naming the field."""
    provider_row = Provider.objects.filter(name__iexact=provider.strip()).first()
    if provider_row is None:
        known = ", ".join(Provider.objects.values_list("name", flat=True))
        raise ValidationFailed.on(provider_field, f"unknown provider {provider!r}; known: {known}")
    wanted = model_id.strip().lower()
    for row in CatalogModel.objects.filter(provider=provider_row.name):
        if row.model_id.lower() == wanted or wanted in (a.lower() for a in row.aliases):
            return provider_row, row
    raise ValidationFailed.on(model_field, f"{model_id!r} is not a {provider_row.name} model in the catalog")


def _check_slot(*, scope: str, stage: str, project_id: str) -> None:
    if scope not in Scope.values:
        raise ValidationFailed.on("scope", f"must be one of {', '.join(Scope.values)}")
    if stage and stage not in STAGES:
        raise ValidationFailed.on("stage", f"unknown stage; use one of {', '.join(STAGES)} (or empty)")
    if scope == Scope.GLOBAL and stage:
        raise ValidationFailed.on("stage", "a Global selection applies to every stage; leave stage empty")
    if scope == Scope.STAGE and not stage:
        raise ValidationFailed.on("stage", "a Stage selection needs a stage")
    if scope == Scope.PROJECT and not project_id:
        raise ValidationFailed.on("projectId", "a Project selection needs a projectId")
    if scope != Scope.PROJECT and project_id:
        raise ValidationFailed.on("projectId", "only Project selections take a projectId")


@transaction.atomic
def selection_set(
    *,
    scope: str,
    stage: str,
    provider: str,
    model_id: str,
    pin: bool = False,
    reason: str = "",
    project_id: str = "",
    allow_deprecated: bool = False,
    user=None,
    correlation_id: str = "",
) -> SelectionOutcome:
    """Set one slot (replacing what was there); a deprecated model needs allow_deprecated."""
    stage = stage or ""
    project_id = project_id or ""
    _check_slot(scope=scope, stage=stage, project_id=project_id)
    if pin and scope != Scope.STAGE:
        # Only run overrides and stage selections are pinnable (the guide's precedence table).
        raise ValidationFailed.on("pin", "only Stage selections can be pinned")
    provider_row, row = _catalog_model(provider, model_id)
    warning = None
    if row.is_deprecated:
        replacement = f"; the recommended replacement is {row.replacement}" if row.replacement else ""
        retired = " and no longer served by the vendor, so it will be unavailable" if row.is_retired else ""
        warning = f"{row.model_id} is deprecated{retired}{replacement}."
        if not allow_deprecated:
            return SelectionOutcome(
                False,
                "Not applied: the model is deprecated. Send allowDeprecated: true to use it anyway.",
                warning,
                None,
            )
    existing = (
        ModelSelection.objects.select_for_update()
        .filter(scope=scope, stage=stage, project_id=project_id)
        .first()
    )
    before = _selection_snapshot(existing)
    now = timezone.now()
    selection = existing or ModelSelection(scope=scope, stage=stage, project_id=project_id)
    selection.provider = provider_row.name
    selection.model_id = row.model_id
    selection.is_pinned = pin
    selection.set_by = _user_or_none(user)
    selection.set_by_name = _username(user) or "cli"
    selection.set_at = now
    selection.reason = reason
    selection.save()
    SelectionChange.objects.create(
        action="set",
        scope=scope,
        stage=stage,
        project_id=project_id,
        before=before,
        after=_selection_snapshot(selection),
        changed_by=_user_or_none(user),
        changed_by_name=_username(user),
        reason=reason,
        correlation_id=correlation_id,
    )
    return SelectionOutcome(True, "Model selection saved successfully", warning, selection)


@transaction.atomic
def selection_clear(
    *,
    provider: str | None = None,
    stage: str | None = None,
    scope: str | None = None,
    project_id: str | None = None,
    reason: str = "",
    user=None,
    correlation_id: str = "",
) -> int:
    """Empty every slot matching the filter; returns how many were cleared."""
    rows = ModelSelection.objects.select_for_update()
    if scope is not None:
        if scope not in Scope.values:
            raise ValidationFailed.on("scope", f"must be one of {', '.join(Scope.values)}")
        rows = rows.filter(scope=scope)
    if stage is not None:
        if stage and stage not in STAGES:
            raise ValidationFailed.on("stage", f"unknown stage; use one of {', '.join(STAGES)} (or empty)")
        rows = rows.filter(stage=stage)
    if provider is not None:
        if not Provider.objects.filter(name__iexact=provider).exists():
            raise ValidationFailed.on("provider", f"unknown provider {provider!r}")
        rows = rows.filter(provider__iexact=provider)
    if project_id is not None:
        rows = rows.filter(project_id=project_id)
    cleared = list(rows)
    SelectionChange.objects.bulk_create(
        [
            SelectionChange(
                action="clear",
                scope=row.scope,
                stage=row.stage,
                project_id=row.project_id,
                before=_selection_snapshot(row),
                after=None,
                changed_by=_user_or_none(user),
                changed_by_name=_username(user),
                reason=reason,
                correlation_id=correlation_id,
            )
            for row in cleared
        ]
    )
    ModelSelection.objects.filter(pk__in=[row.pk for row in cleared]).delete()
    return len(cleared)


@transaction.atomic
def settings_update(*, allow_automatic_fallback: bool, user=None) -> SelectionSettings:
    row, _ = SelectionSettings.objects.select_for_update().get_or_create(pk=1)
    row.allow_automatic_fallback = allow_automatic_fallback
    row.updated_by_name = _username(user)
    row.save()
    return row
