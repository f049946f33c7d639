"""Resolving stages for a caller: the resolver over one loaded context, and the audit entry each writes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from aura_site.errors import ValidationFailed

from .models import ResolutionAudit
from .resolver import Resolution, ResolutionContext, RunOverride, normalize_overrides, resolve_in_memory
from .stages import STAGES


def _audit_rows(resolutions: list[Resolution], *, job_id: str, correlation_id: str) -> list[ResolutionAudit]:
    now = timezone.now()
    return [
        ResolutionAudit(
            provider=r.provider,
            stage=r.stage,
            model_id=r.model_id,
            source=r.source,
            reasoning=r.reasoning,
            is_pinned=r.is_pinned,
            is_blocked=r.is_blocked,
            timestamp=now,
            job_id=job_id,
            correlation_id=correlation_id,
            alternatives=[{"provider": a.provider, "modelId": a.model_id} for a in r.alternatives],
        )
        for r in resolutions
    ]


@transaction.atomic
def stages_resolve(
    *,
    stages: list[str] | None = None,
    overrides: dict[str, RunOverride] | None = None,
    project_id: str | None = None,
    allow_auto_fallback: bool = False,
    job_id: str = "",
    correlation_id: str = "",
    global_defaults_only: frozenset[str] = frozenset(),
) -> list[Resolution]:
    """Resolve several stages with four reads and one bulk audit insert, whatever the table sizes."""
    wanted = list(stages) if stages else list(STAGES)
    unknown = [s for s in wanted if s not in STAGES]
    if unknown:
        raise ValidationFailed.on("stages", f"unknown stage {unknown[0]!r}; use one of {', '.join(STAGES)}")
    ctx = ResolutionContext.load(project_id=project_id or None)
    normalized = normalize_overrides(ctx, overrides or {})
    resolutions = [
        resolve_in_memory(
            stage=stage,
            ctx=ctx,
            overrides=normalized,
            allow_run_fallback=allow_auto_fallback,
            global_defaults_only=stage in global_defaults_only,
        )
        for stage in dict.fromkeys(wanted)
    ]
    ResolutionAudit.objects.bulk_create(
        _audit_rows(resolutions, job_id=job_id, correlation_id=correlation_id)
    )
    return resolutions


def stage_resolve(
    *,
    stage: str,
    overrides: dict[str, RunOverride] | None = None,
    project_id: str | None = None,
    allow_auto_fallback: bool = False,
    job_id: str = "",
    correlation_id: str = "",
) -> Resolution:
    """Resolve one stage (and write its one audit entry)."""
    return stages_resolve(
        stages=[stage],
        overrides=overrides,
        project_id=project_id,
        allow_auto_fallback=allow_auto_fallback,
        job_id=job_id,
        correlation_id=correlation_id,
    )[0]
