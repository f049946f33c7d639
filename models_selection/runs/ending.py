"""A run's state while it executes and how it stops: a stage failed, the run ended, its hold settled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from aura_site.errors import DomainError, PaymentRequired

from . import integrations, prompts
from .models import Job, JobStatus, StageRun, StageStatus


class StopRun(Exception):
    """The run ends here (blocked, refused, failed or cancelled); the job row already says why."""


@dataclass
class RunState:
    job: Job
    prefs: Any  # RunPreferences (models_selection.runs.document)
    outputs: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    on_stage: Callable[[StageRun], None] | None = None


def cancelled(job: Job) -> bool:
    return Job.objects.filter(pk=job.pk, status=JobStatus.CANCELLED).exists()


def notify(state: RunState, row: StageRun) -> None:
    if state.on_stage is not None:
        state.on_stage(row)


def stage_fail(state: RunState, row: StageRun, error: str, *, status: str = StageStatus.FAILED,
               http_status: int | None = None, reason: str, refused: bool = False) -> None:
    """End the stage (Failed, or Refused) with its error and finish time, then the run with the reason."""
    row.status, row.http_status, row.error = status, http_status, error
    row.finished_at = timezone.now()
    row.save()
    notify(state, row)
    run_end(state, JobStatus.FAILED, [f"{row.stage}: {reason}"], refused=refused)


def refusal_status(error: DomainError) -> str:
    return StageStatus.REFUSED if isinstance(error, PaymentRequired) else StageStatus.FAILED


# --- the end of a run -----------------------------------------------------------------------------------


def artifacts_of(outputs: dict[str, str]) -> dict[str, Any]:
    return {"script": outputs.get("script", ""), "visualPrompts": prompts.visual_prompts(outputs.get("visual", "")),
            "narration": outputs.get("narration", ""), "refinedScript": outputs.get("refinement", "")}


def run_close(job: Job, status: str, reasons: list[str], **outcome: Any) -> None:
    settlement = integrations.cost_hold_settle(job_id=job.id)
    artifacts = outcome.pop("artifacts", None)
    job.outcome = {**(job.outcome or {}), **outcome, "reasons": reasons,
                   "settlement": {"used": float(settlement.used), "released": float(settlement.released)}}
    if artifacts is not None:
        job.artifacts = artifacts
    job.status = status
    job.finished_at = timezone.now() if status != JobStatus.BLOCKED else None
    job.save()


def run_end(state: RunState, status: str, reasons: list[str], *, refused: bool = False) -> None:
    """Stop the run here: Failed or Blocked with its reasons, and the hold settled."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=state.job.pk)
        if job.status == JobStatus.RUNNING:
            run_close(job, status, reasons, artifacts=artifacts_of(state.outputs), refused=refused)
        state.job = job
    raise StopRun


def run_give_up(*, job: Job, reason: str) -> None:
    """End a locked run its workers lost: the stage in flight and the run Failed, the hold settled."""
    StageRun.objects.filter(job=job, status=StageStatus.RUNNING).update(
        status=StageStatus.FAILED, error=reason, finished_at=timezone.now())
    run_close(job, JobStatus.FAILED, [reason])
