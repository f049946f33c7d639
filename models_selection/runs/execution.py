"""Executing a planned run: each stage on exactly its resolved model, metered, reviewed, scored.

`run_execute` is the body of the Celery task and of `aura generate`. Running it twice is harmless: a
finished run returns at once, a finished stage is reused, and every call's ledger operation carries the
idempotency key `{jobId}:{stage}:{attempt}`, recorded in the same transaction that marks the stage done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from models_selection import resolving as model_resolving
from models_selection.resolver import Alternative, ResolutionContext, RunOverride
from models_selection.stages import STAGES

from . import integrations, prompts
from .calls import metered_call
from .document import run_preferences
from .ending import RunState, StopRun, artifacts_of, cancelled, notify, run_close, run_end
from .models import Job, JobStatus, StageRun, StageStatus
from .planning import prices_freeze
from .review import parse_scores, quality_verdict

logger = logging.getLogger(__name__)
QUALITY = "quality"


# --- the run ------------------------------------------------------------------------------------------


def run_execute(*, job_id: str, on_stage: Callable[[StageRun], None] | None = None) -> Job:
    """Run every stage of a queued (or interrupted) run to its end."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            return job  # finished, cancelled, blocked or never started: nothing to do
        job.status = JobStatus.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at", "updated_at"])
    state = RunState(job=job, prefs=run_preferences(job.effective_preferences), on_stage=on_stage)
    done = {row.stage: row for row in StageRun.objects.filter(job=job, status=StageStatus.SUCCEEDED)}
    try:
        for position, stage in enumerate(STAGES):
            if stage in done:
                state.outputs[stage] = done[stage].output
                continue
            _run_stage(state, stage, position)
        _finish(state, _quality(state, done.get(QUALITY)))
    except StopRun:
        pass
    except Exception as error:  # a bug or a lost database must not leave the run "Running" forever
        logger.exception("Run %s failed unexpectedly", job.id)
        reason = f"The run stopped on an internal error ({type(error).__name__})."
        try:
            StageRun.objects.filter(job=job, status=StageStatus.RUNNING).update(
                status=StageStatus.FAILED, error=reason, finished_at=timezone.now())
            run_end(state, JobStatus.FAILED, [reason])
        except StopRun:
            pass
    job.refresh_from_db()
    return job


def _resolution(job: Job, stage: str) -> dict[str, Any]:
    return next(r for r in job.resolutions if r["stage"] == stage)


def _stage_row(job: Job, stage: str, position: int, resolution: dict[str, Any]) -> StageRun:
    row, _ = StageRun.objects.get_or_create(job=job, stage=stage, defaults={"position": position})
    row.provider, row.model_id, row.source = resolution["provider"], resolution["model_id"], resolution["source"]
    row.status = StageStatus.RUNNING
    row.started_at = row.started_at or timezone.now()
    return row


def _run_stage(state: RunState, stage: str, position: int) -> None:
    job = state.job
    if cancelled(job):
        raise StopRun
    resolution = _available_resolution(state, stage, position)
    prompt = prompts.build_stage_prompt(stage=stage, brief=job.brief, earlier=state.outputs, prefs=state.prefs)
    row = _stage_row(job, stage, position, resolution)
    text = metered_call(state, row, resolution, prompt, ledger_stage=stage)
    verdict = integrations.policy_check_values(values=state.prefs.filtering_policy.values.model_dump(by_alias=True),
                                               text=text)
    row.review = {"allowed": verdict.allowed, "message": verdict.message,
                  "violations": [{"rule": v.rule, "term": v.term, "start": v.start, "end": v.end}
                                 for v in verdict.violations]}
    if not verdict.allowed:
        found = ", ".join(f"{v.term!r} at {v.start}-{v.end}" for v in verdict.violations)
        row.status, row.error = StageStatus.FAILED, f"The output breaks the content-filtering policy: {found}."
        row.finished_at = timezone.now()
        row.save()
        notify(state, row)
        run_end(state, JobStatus.FAILED, [f"{stage}: {row.error}"])
    row.status, row.finished_at = StageStatus.SUCCEEDED, timezone.now()
    row.save()
    state.outputs[stage] = text
    notify(state, row)


# --- availability at stage start ------------------------------------------------------------------------


def _available_resolution(state: RunState, stage: str, position: int) -> dict[str, Any]:
    """The stage's model if still available; pinned and gone → the run blocks; unpinned → re-resolved."""
    job = state.job
    resolution = _resolution(job, stage)
    ctx = ResolutionContext.load(project_id=job.project_id or None)
    _, why = ctx.lookup(resolution["provider"], resolution["model_id"])
    if why is None:
        return resolution
    overrides = {s: RunOverride.from_dict(o) for s, o in (job.model_overrides or {}).items()}
    fresh = model_resolving.stage_resolve(stage=stage, overrides=overrides, project_id=job.project_id or None,
                                   allow_auto_fallback=job.allow_auto_fallback, job_id=job.id,
                                   correlation_id=job.correlation_id)
    if resolution["is_pinned"] or fresh.is_blocked:
        alternatives = list(fresh.alternatives)
        if not fresh.is_blocked:
            alternatives.insert(0, Alternative(fresh.provider, fresh.model_id))
        blocked = {**resolution, "is_blocked": True, "alternatives": [
            {"provider": a.provider, "model_id": a.model_id} for a in alternatives],
            "reasoning": f"Blocked when the stage started: {resolution['provider']}:{resolution['model_id']} "
                         f"became unavailable ({why}); "
                         + ("it is pinned, so it is never swapped." if resolution["is_pinned"] else fresh.reasoning)}
        _replace_resolution(job, blocked)
        row = _stage_row(job, stage, position, blocked)
        row.status, row.error, row.finished_at = StageStatus.BLOCKED, blocked["reasoning"], timezone.now()
        row.save()
        notify(state, row)
        run_end(state, JobStatus.BLOCKED, [f"{stage}: {blocked['reasoning']}"])
    resolved = fresh.as_dict()
    _replace_resolution(job, resolved)
    return resolved


def _replace_resolution(job: Job, resolution: dict[str, Any]) -> None:
    job.resolutions = [resolution if r["stage"] == resolution["stage"] else r for r in job.resolutions]
    prices_freeze(job=job, resolutions=[resolution])
    job.save(update_fields=["resolutions", "price_snapshot", "updated_at"])


# --- quality --------------------------------------------------------------------------------------------


def _quality(state: RunState, done: StageRun | None) -> dict[str, Any]:
    """Score the final script with the refinement model (a malformed answer is retried once)."""
    job = state.job
    script = state.outputs.get("refinement") or state.outputs.get("script", "")
    resolution = _resolution(job, "refinement")
    scores = parse_scores(done.output) if done is not None else None
    if done is None:
        prompt = prompts.build_quality_prompt(script=script, brief=job.brief, prefs=state.prefs)
        row = _stage_row(job, QUALITY, len(STAGES), resolution)
        for attempt in (1, 2):
            if cancelled(job):
                raise StopRun
            text = metered_call(state, row, resolution, prompt, ledger_stage=QUALITY, new_attempt=attempt > 1)
            scores = parse_scores(text)
            if scores is not None:
                break
        row.status = StageStatus.SUCCEEDED if scores is not None else StageStatus.FAILED
        row.error = "" if scores is not None else "The scores were malformed twice: quality unavailable."
        row.finished_at = timezone.now()
        row.save()
        notify(state, row)
    return quality_verdict(scores=scores, script=script, prefs=state.prefs)


# --- the end of a run -----------------------------------------------------------------------------------


def _finish(state: RunState, quality: dict[str, Any]) -> None:
    status = JobStatus.NEEDS_REVIEW if quality["reasons"] else JobStatus.SUCCEEDED
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=state.job.pk)
        if job.status != JobStatus.RUNNING:
            raise StopRun  # cancelled meanwhile (its hold was released by the cancel)
        for stage in STAGES:
            template_id = state.prefs.prompt_templates[stage].id
            if template_id:
                integrations.template_outcome(template_id=template_id, success=status == JobStatus.SUCCEEDED)
        run_close(job, status, quality["reasons"], artifacts=artifacts_of(state.outputs), quality=quality)
    state.job = job
