"""Decisions on a blocked run: apply the recommended models, retry, use the global defaults, or cancel."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from aura_site.errors import Conflict, NotFound, ValidationFailed
from models_selection.resolver import Alternative, Resolution, RunOverride
from models_selection.resolving import stages_resolve

from . import integrations
from .models import FINAL_JOB_STATUSES, Job, JobDecision, JobStatus
from .planning import JobPlan, prices_freeze, user_or_none

DECISIONS = ("apply-recommended", "retry", "use-global-defaults", "cancel")
DECISION_HELP = {
    "apply-recommended": "Apply the recommended alternative for each blocked stage (or the one you choose).",
    "retry": "Retry with the original models, after fixing what made them unavailable.",
    "use-global-defaults": "Continue with the global defaults for the blocked stages.",
    "cancel": "Cancel the run.",
}


def _resolution_from_dict(data: dict[str, Any]) -> Resolution:
    return Resolution(
        data["stage"],
        data["provider"],
        data["model_id"],
        data["source"],
        data["reasoning"],
        data["is_pinned"],
        data["is_blocked"],
        [Alternative(a["provider"], a["model_id"]) for a in data.get("alternatives", [])],
    )


def _apply_recommended(
    blocked: dict[str, Resolution],
    choices: dict[str, tuple[str, str]] | None,
    overrides: dict[str, RunOverride],
) -> dict[str, dict[str, str]]:
    """Pin each blocked stage to its chosen (or first) recommended alternative in `overrides`; what was applied."""
    applied: dict[str, dict[str, str]] = {}
    for stage in choices or {}:
        if stage not in blocked:
            raise ValidationFailed.on(f"choices.{stage}", "this stage is not blocked")
    for stage, resolution in blocked.items():
        offered = {(a.provider.lower(), a.model_id.lower()): a for a in resolution.alternatives}
        if choices and stage in choices:
            provider, model_id = choices[stage]
            chosen = offered.get((provider.lower(), model_id.lower()))
            if chosen is None:
                raise ValidationFailed.on(
                    f"choices.{stage}",
                    f"{provider}:{model_id} is not one of the recommended alternatives for this stage",
                )
        elif resolution.alternatives:
            chosen = resolution.alternatives[0]
        else:
            raise ValidationFailed.on(f"choices.{stage}", "no recommended alternative is available")
        # The user chose this model for this run: pin it so it is never swapped in turn.
        overrides[stage] = RunOverride(chosen.provider, chosen.model_id, True)
        applied[stage] = {"provider": chosen.provider, "modelId": chosen.model_id}
    return applied


@transaction.atomic
def job_decide(
    *,
    job_id: str,
    decision: str,
    choices: dict[str, tuple[str, str]] | None = None,
    user=None,
    correlation_id: str = "",
) -> JobPlan:
    """Take one of the four options on a blocked run; every re-resolution is audited."""
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No job {job_id}.")
    if decision not in DECISIONS:
        raise ValidationFailed.on("decision", f"must be one of {', '.join(DECISIONS)}")
    previous = [_resolution_from_dict(d) for d in job.resolutions]
    if job.status == JobStatus.CANCELLED:
        raise Conflict(f"Job {job.id} is cancelled.")
    if job.status in FINAL_JOB_STATUSES:
        raise Conflict(f"Job {job.id} has finished ({job.status}); start a new run instead.")
    if decision == "cancel":
        job.status = JobStatus.CANCELLED
        job.save(update_fields=["status", "updated_at"])
        integrations.cost_hold_release(job=job)
        JobDecision.objects.create(
            job=job,
            decision=decision,
            outcome=job.status,
            decided_by=user_or_none(user),
            correlation_id=correlation_id,
        )
        return JobPlan(job, previous)
    if job.status != JobStatus.BLOCKED:
        raise Conflict(f"Job {job.id} is not blocked; only cancel applies.")
    blocked = {r.stage: r for r in previous if r.is_blocked}
    overrides = {stage: RunOverride.from_dict(o) for stage, o in job.model_overrides.items()}
    global_only: frozenset[str] = frozenset()
    applied: dict[str, dict[str, str]] = {}
    if decision == "apply-recommended":
        applied = _apply_recommended(blocked, choices, overrides)
        job.model_overrides = {stage: o.as_dict() for stage, o in overrides.items()}
    elif decision == "use-global-defaults":
        global_only = frozenset(blocked)
    resolutions = stages_resolve(
        overrides=overrides,
        project_id=job.project_id or None,
        allow_auto_fallback=job.allow_auto_fallback,
        job_id=job.id,
        correlation_id=correlation_id,
        global_defaults_only=global_only,
    )
    plan = JobPlan(job, resolutions)
    job.status = JobStatus.BLOCKED if plan.blocked else JobStatus.PLANNED
    job.resolutions = [r.as_dict() for r in resolutions]
    prices_freeze(job=job, resolutions=resolutions)
    job.save()
    JobDecision.objects.create(
        job=job,
        decision=decision,
        choices=applied,
        outcome=job.status,
        decided_by=user_or_none(user),
        correlation_id=correlation_id,
    )
    if not plan.blocked:
        integrations.cost_hold_place(job=job)
    return plan
