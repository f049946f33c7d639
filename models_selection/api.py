"""REST routes of the models_selection app (mounted at the API root: full paths below).

The provider and probe routes are in `providers_api.py`, mounted in this router at the end.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from aura_site import pricing_seam
from aura_site.auth import read_access, write_access
from aura_site.errors import ValidationFailed
from aura_site.pagination import Mapped
from aura_site.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut

from . import explaining, resolving, selectors, services
from .models import CatalogModel, ModelSelection, Provider, ResolutionAudit, SelectionChange
from .models import SelectionSettings as SettingsRow
from .providers_api import router as providers_router
from .resolver import Resolution, RunOverride
from .schemas import (
    AuditEntryOut,
    AvailableOut,
    ExplainIn,
    ExplainOut,
    ResolveIn,
    ResolveOut,
    SelectionChangeOut,
    SelectionClearIn,
    SelectionClearOut,
    SelectionIn,
    SelectionSetOut,
    SelectionsOut,
    SettingsIn,
    SettingsOut,
)

router = Router(tags=["Model selection"], by_alias=True)

READ_422 = {**READ_ERRORS, 422: ErrorOut}


def _prices(row: CatalogModel) -> dict:
    """The model's token prices from the price table (the row is loaded with them, see pricing_seam)."""
    price = pricing_seam.price_of(row)
    return {"input_price_per_1k": price.input_per_1k if price else None,
            "output_price_per_1k": price.output_per_1k if price else None}


def _entry(entry: selectors.CatalogEntry) -> dict:
    row = entry.row
    return {
        "provider": row.provider,
        "model_id": row.model_id,
        "max_tokens": row.max_tokens,
        "context_window": row.context_window,
        "aliases": row.aliases,
        "is_deprecated": row.is_deprecated,
        "replacement": row.replacement or None,
        "is_retired": row.is_retired,
        "is_available": entry.is_available,
        "unavailable_reason": entry.unavailable_reason,
        "stages": row.stages,
        **_prices(row),
        "last_probe_latency_ms": row.last_probe_latency_ms,
    }


@router.get("/models/available", response={200: AvailableOut, **READ_422}, auth=read_access(CatalogModel))
def models_available(request: HttpRequest, provider: str | None = None):
    """Catalog models by provider, each saying whether it can run now and why not."""
    if provider and not Provider.objects.filter(name__iexact=provider).exists():
        raise ValidationFailed.on("provider", f"unknown provider {provider!r}")
    grouped = selectors.catalog_available(provider=provider)
    providers = {name: [_entry(e) for e in entries] for name, entries in grouped.items()}
    return {
        "providers": providers,
        "total_count": sum(len(v) for v in providers.values()),
        "correlation_id": request.correlation_id,
    }


def _selection(row: ModelSelection) -> dict:
    return {
        "provider": row.provider,
        "stage": row.stage,
        "model_id": row.model_id,
        "scope": row.scope,
        "is_pinned": row.is_pinned,
        "set_by": row.set_by_name,
        "set_at": row.set_at,
        "reason": row.reason,
        "project_id": row.project_id,
    }


@router.get(
    "/models/selection", response={200: SelectionsOut, **READ_ERRORS}, auth=read_access(ModelSelection)
)
def selection_get(request: HttpRequest):
    """The current Global, Stage and Project selections and the automatic-fallback setting."""
    current = selectors.selections_current()
    return {
        "global_defaults": [_selection(r) for r in current.global_defaults],
        "stage_selections": [_selection(r) for r in current.stage_selections],
        "project_selections": [_selection(r) for r in current.project_selections],
        "allow_automatic_fallback": current.allow_automatic_fallback,
        "correlation_id": request.correlation_id,
    }


@router.post(
    "/models/selection",
    response={200: SelectionSetOut, **WRITE_ERRORS},
    auth=write_access(ModelSelection, "change"),
)
def selection_post(request: HttpRequest, payload: SelectionIn):
    """Set one slot; a deprecated model answers applied=false unless allowDeprecated is true."""
    outcome = services.selection_set(
        scope=payload.scope,
        stage=payload.stage,
        provider=payload.provider,
        model_id=payload.model_id,
        pin=payload.pin,
        reason=payload.reason,
        project_id=payload.project_id or "",
        allow_deprecated=payload.allow_deprecated,
        user=request.user,
        correlation_id=request.correlation_id,
    )
    return {
        "applied": outcome.applied,
        "reason": outcome.reason,
        "deprecation_warning": outcome.deprecation_warning,
        "correlation_id": request.correlation_id,
    }


@router.post(
    "/models/selection/clear",
    response={200: SelectionClearOut, **WRITE_ERRORS},
    auth=write_access(ModelSelection, "delete"),
)
def selection_clear(request: HttpRequest, payload: SelectionClearIn):
    """Empty the slots matching provider/stage/scope (and projectId)."""
    count = services.selection_clear(
        provider=payload.provider,
        stage=payload.stage,
        scope=payload.scope,
        project_id=payload.project_id,
        reason=payload.reason,
        user=request.user,
        correlation_id=request.correlation_id,
    )
    message = "Selections cleared successfully" if count else "No selection matched; nothing to clear"
    return {"success": True, "message": message, "correlation_id": request.correlation_id}


def _change(c: SelectionChange) -> dict:
    return {
        "action": c.action,
        "scope": c.scope,
        "stage": c.stage,
        "project_id": c.project_id,
        "before": c.before,
        "after": c.after,
        "changed_by": c.changed_by_name,
        "changed_at": c.changed_at,
        "reason": c.reason,
        "correlation_id": c.correlation_id,
    }


@router.get(
    "/models/selection/history",
    response={200: list[SelectionChangeOut], **READ_422},
    auth=read_access(SelectionChange),
)
@paginate
def selection_history(request: HttpRequest):
    """Every set and clear of a selection slot, newest first."""
    return Mapped(selectors.selection_history(limit=None), _change)


@router.get("/models/settings", response={200: SettingsOut, **READ_ERRORS}, auth=read_access(SettingsRow))
def settings_get(request: HttpRequest):
    """The model-selection settings."""
    return {
        "allow_automatic_fallback": selectors.selection_settings().allow_automatic_fallback,
        "correlation_id": request.correlation_id,
    }


@router.put(
    "/models/settings", response={200: SettingsOut, **WRITE_ERRORS}, auth=write_access(SettingsRow, "change")
)
def settings_put(request: HttpRequest, payload: SettingsIn):
    """Turn automatic fallback on or off (off by default)."""
    row = services.settings_update(
        allow_automatic_fallback=payload.allow_automatic_fallback, user=request.user
    )
    return {
        "allow_automatic_fallback": row.allow_automatic_fallback,
        "correlation_id": request.correlation_id,
    }


class AuditQuery(Schema):
    stage: str | None = Field(default=None, max_length=20)
    job_id: str | None = Field(default=None, alias="jobId", max_length=100)
    source: str | None = Field(default=None, max_length=50)
    blocked: bool | None = None


def _audit_entry(e: ResolutionAudit) -> dict:
    return {
        "id": e.pk,
        "provider": e.provider,
        "stage": e.stage,
        "model_id": e.model_id,
        "source": e.source,
        "reasoning": e.reasoning,
        "is_pinned": e.is_pinned,
        "is_blocked": e.is_blocked,
        "timestamp": e.timestamp,
        "job_id": e.job_id or None,
        "correlation_id": e.correlation_id,
        "alternatives": [{"provider": a["provider"], "model_id": a["modelId"]} for a in e.alternatives],
    }


def audit_log(request: HttpRequest, filters: Query[AuditQuery]):
    """Resolution audit entries, newest first, filtered by stage, jobId, source and blocked."""
    rows = selectors.audit_log(limit=None, stage=filters.stage, job_id=filters.job_id, source=filters.source,
                               blocked=filters.blocked)
    return Mapped(rows, _audit_entry)


# `paginate` resolves annotations in its own module; this one postpones them, so hand it the classes.
audit_log.__annotations__.update(request=HttpRequest, filters=Query[AuditQuery])
audit_log = router.get(
    "/models/audit-log", response={200: list[AuditEntryOut], **READ_422}, auth=read_access(ResolutionAudit)
)(paginate(audit_log))


def _overrides(raw: dict) -> dict[str, RunOverride]:
    return {stage: RunOverride(o.provider, o.model_id, o.pin) for stage, o in raw.items()}


def _resolutions(resolutions: list[Resolution]) -> list[dict]:
    return [r.as_dict() for r in resolutions]


@router.post("/models/resolve", response={200: ResolveOut, **READ_422}, auth=read_access(ModelSelection))
def resolve(request: HttpRequest, payload: ResolveIn):
    """Resolve the stages of a hypothetical run without creating one (audited, with no jobId)."""
    resolutions = resolving.stages_resolve(
        stages=payload.stages,
        overrides=_overrides(payload.model_overrides),
        project_id=payload.project_id,
        allow_auto_fallback=payload.allow_auto_fallback,
        correlation_id=request.correlation_id,
    )
    return {
        "resolutions": _resolutions(resolutions),
        "blocked": any(r.is_blocked for r in resolutions),
        "correlation_id": request.correlation_id,
    }


@router.post("/models/explain", response={200: ExplainOut, **READ_422}, auth=read_access(CatalogModel))
def explain(request: HttpRequest, payload: ExplainIn):
    """Compare a model with the recommended one for a stage, in plain words."""
    if not Provider.objects.filter(name__iexact=payload.provider).exists():
        raise ValidationFailed.on("provider", f"unknown provider {payload.provider!r}")
    result = explaining.model_explain(
        stage=payload.stage, provider=payload.provider, model_id=payload.model_id
    )

    def side(entry: selectors.CatalogEntry | None) -> dict | None:
        if entry is None:
            return None
        row = entry.row
        return {
            "provider": row.provider,
            "model_id": row.model_id,
            **_prices(row),
            "context_window": row.context_window,
            "is_deprecated": row.is_deprecated,
            "replacement": row.replacement or None,
            "is_available": entry.is_available,
            "unavailable_reason": entry.unavailable_reason,
            "last_probe_latency_ms": row.last_probe_latency_ms,
        }

    return {
        "stage": result.stage,
        "chosen": side(result.chosen),
        "recommended": side(result.recommended),
        "verdict": result.verdict,
        "reasons": result.reasons,
        "correlation_id": request.correlation_id,
    }


router.add_router("", providers_router)
