"""Reads of runs: one run, stage rows, totals, artifacts as JSON and Markdown, the recent runs, creators."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from aura_site.errors import NotFound

from .models import FINAL_JOB_STATUSES, Job, StageRun


def job_get(*, job_id: str) -> Job:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No job {job_id}.")
    return job


def stage_rows(job: Job) -> list[StageRun]:
    return list(StageRun.objects.filter(job=job).order_by("position", "id"))


def _stage_out(row: StageRun) -> dict[str, Any]:
    return {
        "stage": row.stage, "status": row.status, "provider": row.provider, "model_id": row.model_id,
        "source": row.source, "attempts": row.attempts, "input_tokens": row.input_tokens,
        "output_tokens": row.output_tokens, "cached_tokens": row.cached_tokens, "cost": float(row.cost),
        "latency_ms": row.latency_ms, "http_status": row.http_status, "error": row.error,
        "review": row.review or None, "started_at": row.started_at, "finished_at": row.finished_at,
    }


def run_details(job: Job) -> dict[str, Any]:
    """What GET /api/jobs/{id} adds to the plan once a run executes (one query for the stages)."""
    rows = stage_rows(job)
    outcome = job.outcome or {}
    return {
        "effective_preferences": job.effective_preferences or None,
        "price_snapshot": job.price_snapshot or {},
        "stages": [_stage_out(r) for r in rows],
        "total_cost": float(sum((r.cost for r in rows), Decimal("0"))),
        "reasons": outcome.get("reasons", []),
        "quality": outcome.get("quality"),
        "hold_settlement": outcome.get("settlement"),
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


def is_final(job: Job) -> bool:
    return job.status in FINAL_JOB_STATUSES


def artifacts_of(job: Job) -> dict[str, Any]:
    artifacts = job.artifacts or {}
    return {
        "script": artifacts.get("script", ""),
        "refined_script": artifacts.get("refinedScript", ""),
        "visual_prompts": artifacts.get("visualPrompts", []),
        "narration": artifacts.get("narration", ""),
    }


def artifacts_markdown(job: Job) -> str:
    """The run's artifacts as one Markdown document (the download and `aura generate --output`)."""
    a = artifacts_of(job)
    outcome = job.outcome or {}
    lines = [f"# Run {job.id}", "", f"Status: **{job.status}**", "", "## Brief", "", job.brief, ""]
    lines += ["## Script", "", a["refined_script"] or a["script"] or "_(not produced)_", ""]
    lines += ["## Visual prompts", ""]
    lines += [f"{p['scene']}. {p['prompt']}" for p in a["visual_prompts"]] or ["_(not produced)_"]
    lines += ["", "## Narration", "", a["narration"] or "_(not produced)_", ""]
    rows = stage_rows(job)
    if rows:
        lines += ["## Stages", "", "| Stage | Status | Provider | Model | Tokens in/out | Cost |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r.stage} | {r.status} | {r.provider} | {r.model_id} | {r.input_tokens}/{r.output_tokens} "
                  f"| {r.cost} |" for r in rows]
        lines.append("")
    if outcome.get("reasons"):
        lines += ["## Review", ""] + [f"- {reason}" for reason in outcome["reasons"]] + [""]
    return "\n".join(lines)


def runs_recent(*, status: str | None = None) -> QuerySet:
    """Runs newest first, each with its total cost (one query, whatever the number of stages)."""
    rows = Job.objects.annotate(total_cost=Sum("stage_runs__cost")).order_by("-created_at", "-id")
    return rows.filter(status=status) if status else rows


def run_summary(job: Job) -> dict[str, Any]:
    quality = (job.outcome or {}).get("quality") or {}
    return {
        "job_id": job.id, "status": job.status, "brief": job.brief[:200],
        "total_cost": float(getattr(job, "total_cost", None) or 0), "weighted_total": quality.get("weighted_total"),
        "created_at": job.created_at, "finished_at": job.finished_at,
    }


def job_creators(*, job_ids: set[str]) -> dict[str, int]:
    """Who created each of these runs (job id → user id), for runs with a known creator (for the costs app)."""
    return dict(Job.objects.filter(pk__in=job_ids, created_by__isnull=False).values_list("pk", "created_by_id"))
