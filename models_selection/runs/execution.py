"""Executing a planned run: each stage on exactly its resolved model, metered, reviewed, scored.

`run_execute` is the body of the Celery task and of `aura generate`. Running it twice is harmless: a
finished run returns at once, a finished stage is reused, and every call's ledger operation carries the
idempotency key `{jobId}:{stage}:{attempt}`, recorded in the same transaction that marks the stage done.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from aura_site.errors import DomainError, PaymentRequired, ValidationFailed
from models_selection import connections as model_connections
from models_selection import resolving as model_resolving
from models_selection.models import Provider
from models_selection.resolver import Alternative, ResolutionContext, RunOverride
from models_selection.selectors import provider_state
from models_selection.stages import STAGES

from . import integrations, metering, prompts
from .clients import ProviderCallError, chat
from .document import run_preferences
from .models import Job, JobStatus, StageRun, StageStatus
from .planning import price_key, prices_freeze
from .scoring import DIMENSIONS, QualityScores

logger = logging.getLogger(__name__)
QUALITY = "quality"
READING_LEVEL_MARGIN = 4  # grades above the audience's reading level before it is a review reason


class StopRun(Exception):
    """The run ends here (blocked, refused, failed or cancelled); the job row already says why."""


@dataclass
class RunState:
    job: Job
    prefs: Any  # RunPreferences (models_selection.runs.document)
    outputs: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    on_stage: Callable[[StageRun], None] | None = None


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
            _end(state, JobStatus.FAILED, [reason])
        except StopRun:
            pass
    job.refresh_from_db()
    return job


def _resolution(job: Job, stage: str) -> dict[str, Any]:
    return next(r for r in job.resolutions if r["stage"] == stage)


def _cancelled(job: Job) -> bool:
    return Job.objects.filter(pk=job.pk, status=JobStatus.CANCELLED).exists()


def _stage_row(job: Job, stage: str, position: int, resolution: dict[str, Any]) -> StageRun:
    row, _ = StageRun.objects.get_or_create(job=job, stage=stage, defaults={"position": position})
    row.provider, row.model_id, row.source = resolution["provider"], resolution["model_id"], resolution["source"]
    row.status = StageStatus.RUNNING
    row.started_at = row.started_at or timezone.now()
    return row


def _run_stage(state: RunState, stage: str, position: int) -> None:
    job = state.job
    if _cancelled(job):
        raise StopRun
    resolution = _available_resolution(state, stage, position)
    prompt = prompts.build_stage_prompt(stage=stage, brief=job.brief, earlier=state.outputs, prefs=state.prefs)
    row = _stage_row(job, stage, position, resolution)
    text = _metered_call(state, row, resolution, prompt, ledger_stage=stage)
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
        _notify(state, row)
        _end(state, JobStatus.FAILED, [f"{stage}: {row.error}"])
    row.status, row.finished_at = StageStatus.SUCCEEDED, timezone.now()
    row.save()
    state.outputs[stage] = text
    _notify(state, row)


def _notify(state: RunState, row: StageRun) -> None:
    if state.on_stage is not None:
        state.on_stage(row)


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
        _notify(state, row)
        _end(state, JobStatus.BLOCKED, [f"{stage}: {blocked['reasoning']}"])
    resolved = fresh.as_dict()
    _replace_resolution(job, resolved)
    return resolved


def _replace_resolution(job: Job, resolution: dict[str, Any]) -> None:
    job.resolutions = [resolution if r["stage"] == resolution["stage"] else r for r in job.resolutions]
    prices_freeze(job=job, resolutions=[resolution])
    job.save(update_fields=["resolutions", "price_snapshot", "updated_at"])


# --- one metered call -----------------------------------------------------------------------------------


def _metered_call(state: RunState, row: StageRun, resolution: dict[str, Any], prompt: prompts.StagePrompt, *,
                  ledger_stage: str, new_attempt: bool = False) -> str:
    """Reserve the worst case, call exactly the resolved model, record what it reported in the ledger; the text.

    A call that was sent is always recorded at the provider's usage (counted here, flagged `estimated`,
    when the answer has none). One that cost more than its reservation is recorded all the same, flagged
    `overrun` with an alert, and the run stops before its next call. A usage too large to price is
    refused as a provider error: the stage fails with the raw usage in its error, and the ledger is
    left untouched.
    """
    job = state.job
    provider_name, model_id = resolution["provider"], resolution["model_id"]
    snapshot = (job.price_snapshot or {}).get(price_key(provider_name, model_id))
    if new_attempt or row.attempts == 0:
        row.attempts += 1  # a redelivered task reuses the attempt it had started, so its key repeats
    row.request = {"provider": provider_name, "model": model_id, **prompt.as_record()}
    row.save()
    reservation = _reserve(state, row, snapshot, prompt)
    if _cancelled(job):
        raise StopRun
    provider = Provider.objects.get(name=provider_name)
    call = f"the call to {provider_name}:{model_id}"
    try:
        completion = chat(kind=provider.kind, base_url=provider_state(provider).base_url,
                          api_key=model_connections.provider_api_key(provider), model_id=model_id,
                          messages=prompt.messages,
                          sampling={**prompt.sampling, "max_tokens": reservation.max_tokens},
                          timeout=settings.AURA_RUN_TIMEOUT, max_retries=settings.AURA_RUN_MAX_RETRIES)
    except ProviderCallError as error:
        _stage_fail(state, row, error.message, http_status=error.status, reason=f"{call} failed: {error.message}")
    usage = metering.usage_of(kind=provider.kind, model_id=model_id, messages=prompt.messages, text=completion.text,
                              input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
                              cached_tokens=completion.cached_tokens)
    cost = metering.call_cost(snapshot, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                              cached_tokens=usage.cached_tokens)
    row.latency_ms, row.output = completion.latency_ms, completion.text
    unpriceable = metering.unpriceable(usage, cost)
    if unpriceable is not None:
        logger.warning("Run %s, stage %s: %s reported a usage too large to price: %s", job.id, row.stage, call,
                       completion.usage)
        _stage_fail(state, row, f"The provider reported a usage too large to price ({unpriceable}); refused as a "
                                f"provider error and not recorded in the ledger. Reported usage: "
                                f"{json.dumps(completion.usage)}.",
                    reason=f"{call} reported a usage too large to price ({unpriceable}).")
    overrun = cost > reservation.amount
    try:
        with transaction.atomic():
            recorded = integrations.cost_operation_record(operation={
                "idempotency_key": f"{job.id}:{ledger_stage}:{row.attempts}", "job_id": job.id,
                "project_id": job.project_id, "stage": ledger_stage, "provider": provider_name, "model": model_id,
                "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens, "cost": cost,
                "reserved": reservation.amount, "overrun": overrun, "estimated": usage.estimated,
            })
            if not recorded.duplicates:  # a redelivered task's repeated call was counted the first time
                row.input_tokens += usage.input_tokens
                row.output_tokens += usage.output_tokens
                row.cached_tokens += usage.cached_tokens
                row.cost += cost
            row.save()
    except DomainError as error:
        _stage_fail(state, row, error.detail, status=_refusal(error), http_status=error.status,
                    reason=f"the ledger refused the call: {error.detail}", refused=error.status == 402)
    if overrun:
        _stage_fail(state, row, f"The provider reported more usage ({usage.input_tokens:,} tokens in, "
                                f"{usage.output_tokens:,} out, cost {cost}) than the call had reserved "
                                f"({reservation.amount}, at most {reservation.max_tokens:,} tokens out). It is "
                                "recorded in the ledger as an overrun and the run stops here.",
                    reason=f"{call} cost {cost}, more than its reservation of {reservation.amount} (overrun).")
    return completion.text


def _stage_fail(state: RunState, row: StageRun, error: str, *, status: str = StageStatus.FAILED,
                http_status: int | None = None, reason: str, refused: bool = False) -> None:
    """End the stage (Failed, or Refused) with its error and finish time, then the run with the reason."""
    row.status, row.http_status, row.error = status, http_status, error
    row.finished_at = timezone.now()
    row.save()
    _notify(state, row)
    _end(state, JobStatus.FAILED, [f"{row.stage}: {reason}"], refused=refused)


def _refusal(error: DomainError) -> str:
    return StageStatus.REFUSED if isinstance(error, PaymentRequired) else StageStatus.FAILED


def _reserve(state: RunState, row: StageRun, snapshot: dict[str, Any] | None,
             prompt: prompts.StagePrompt) -> metering.Reservation:
    """The call's reservation, held; refuses the call before it is sent when it fits neither the hold nor a
    hard budget."""
    job = state.job
    reservation = metering.reservation(snapshot, messages=prompt.messages, max_tokens=prompt.sampling["max_tokens"])
    worst = reservation.amount
    if worst <= 0:
        return reservation
    hold = integrations.cost_hold(job_id=job.id)
    remaining = hold.remaining if hold is not None else Decimal("0")
    if worst <= remaining:
        return reservation
    try:
        integrations.cost_hold_extend(job_id=job.id, amount=worst - remaining, provider=row.provider,
                                      project_id=job.project_id)
    except PaymentRequired as error:
        refusal = f"Refused before sending: the worst case ({worst}) does not fit. {error.detail}"
        _stage_fail(state, row, refusal, status=StageStatus.REFUSED, http_status=402, reason=refusal, refused=True)
    except ValidationFailed:
        pass  # no budget period in force: there is nothing to hold against
    return reservation


# --- quality --------------------------------------------------------------------------------------------


FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_scores(text: str) -> QualityScores | None:
    """The judge's JSON scores, validated; None when the answer is malformed."""
    try:
        return QualityScores.model_validate(json.loads(FENCE.sub("", text.strip())))
    except (ValueError, ValidationError):
        return None


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
            if _cancelled(job):
                raise StopRun
            text = _metered_call(state, row, resolution, prompt, ledger_stage=QUALITY, new_attempt=attempt > 1)
            scores = parse_scores(text)
            if scores is not None:
                break
        row.status = StageStatus.SUCCEEDED if scores is not None else StageStatus.FAILED
        row.error = "" if scores is not None else "The scores were malformed twice: quality unavailable."
        row.finished_at = timezone.now()
        row.save()
        _notify(state, row)
    return quality_verdict(scores=scores, script=script, prefs=state.prefs)


def quality_verdict(*, scores: QualityScores | None, script: str, prefs: Any) -> dict[str, Any]:
    """Scores against the thresholds (weights and minimums) and the reading level against the profile."""
    import textstat

    prefs = run_preferences(prefs)
    thresholds = prefs.quality_thresholds.values
    target = prefs.audience_profile.values.reading_level
    grade = float(textstat.flesch_kincaid_grade(script)) if script.strip() else 0.0
    reading = {"grade": grade, "target": target, "within_range": grade <= target + READING_LEVEL_MARGIN}
    reasons = []
    if not reading["within_range"]:
        reasons.append(f"Reading level grade {grade:g} is above the audience's grade {target}.")
    if scores is None:
        reasons.append("Quality score unavailable: the refinement model's answer was malformed twice.")
        return {"status": "unavailable", "scores": None, "weighted_total": None, "reading_level": reading,
                "reasons": reasons}
    weights = {d.key: float(getattr(thresholds, d.out)) for d in DIMENSIONS}
    minimums = {d.key: float(getattr(thresholds, d.minimum_field)) for d in DIMENSIONS}
    total_weight = sum(weights.values()) or float(len(DIMENSIONS))
    values = {d.key: getattr(scores, d.key) for d in DIMENSIONS}
    weighted = sum(values[d.key] * (weights[d.key] or (0 if sum(weights.values()) else 1))
                   for d in DIMENSIONS) / total_weight
    required = sum(minimums[d.key] * (weights[d.key] or (0 if sum(weights.values()) else 1))
                   for d in DIMENSIONS) / total_weight
    for d in DIMENSIONS:
        if values[d.key] < minimums[d.key]:
            reasons.append(f"{d.label.capitalize()} {values[d.key]:g} is below the minimum "
                           f"{minimums[d.key]:g}.")
    if weighted < required:
        reasons.append(f"Weighted total {weighted:.2f} is below the weighted minimum {required:.2f}.")
    return {"status": "scored", "weighted_total": round(weighted, 3), "reading_level": reading, "reasons": reasons,
            "scores": {d.out: values[d.key] for d in DIMENSIONS}}


# --- the end of a run -----------------------------------------------------------------------------------


def _artifacts(outputs: dict[str, str]) -> dict[str, Any]:
    return {"script": outputs.get("script", ""), "visualPrompts": prompts.visual_prompts(outputs.get("visual", "")),
            "narration": outputs.get("narration", ""), "refinedScript": outputs.get("refinement", "")}


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
        _close(job, status, quality["reasons"], artifacts=_artifacts(state.outputs), quality=quality)
    state.job = job


def _close(job: Job, status: str, reasons: list[str], **outcome: Any) -> None:
    settlement = integrations.cost_hold_settle(job_id=job.id)
    artifacts = outcome.pop("artifacts", None)
    job.outcome = {**(job.outcome or {}), **outcome, "reasons": reasons,
                   "settlement": {"used": float(settlement.used), "released": float(settlement.released)}}
    if artifacts is not None:
        job.artifacts = artifacts
    job.status = status
    job.finished_at = timezone.now() if status != JobStatus.BLOCKED else None
    job.save()


def _end(state: RunState, status: str, reasons: list[str], *, refused: bool = False) -> None:
    """Stop the run here: Failed or Blocked with its reasons, and the hold settled."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=state.job.pk)
        if job.status == JobStatus.RUNNING:
            _close(job, status, reasons, artifacts=_artifacts(state.outputs), refused=refused)
        state.job = job
    raise StopRun


def run_give_up(*, job: Job, reason: str) -> None:
    """End a locked run its workers lost: the stage in flight and the run Failed, the hold settled."""
    StageRun.objects.filter(job=job, status=StageStatus.RUNNING).update(
        status=StageStatus.FAILED, error=reason, finished_at=timezone.now())
    _close(job, JobStatus.FAILED, [reason])
