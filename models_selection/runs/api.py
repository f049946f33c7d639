"""REST routes of runs: plan, list, read, decide, start, artifacts (mounted at the API root: /jobs...)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from aura_site.auth import read_access, write_access
from aura_site.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut
from models_selection.resolver import RunOverride

from . import selectors
from .decisions import DECISION_HELP, DECISIONS, job_decide
from .effective import PreferenceChoices
from .lifecycle import run_start
from .models import Job
from .planning import JobPlan, job_plan
from .schemas import ArtifactsOut, BlockedJobOut, DecisionIn, JobIn, JobOut, RunListOut, RunListQuery

# The runs' routes keep the tag and operation ids they were published under.
router = Router(tags=["Model selection"], by_alias=True)

READ_422 = {**READ_ERRORS, 422: ErrorOut}


def _overrides(raw: dict) -> dict[str, RunOverride]:
    return {stage: RunOverride(o.provider, o.model_id, o.pin) for stage, o in raw.items()}


def _job(plan_or_job, request: HttpRequest) -> dict:
    job = plan_or_job.job if isinstance(plan_or_job, JobPlan) else plan_or_job
    return {
        **selectors.run_details(job),
        "job_id": job.id,
        "status": job.status,
        "brief": job.brief,
        "project_id": job.project_id or None,
        "allow_auto_fallback": job.allow_auto_fallback,
        "resolutions": job.resolutions,
        "blocked": any(r["is_blocked"] for r in job.resolutions),
        "created_at": job.created_at,
        "correlation_id": request.correlation_id,
    }


def _plan_answer(plan: JobPlan, request: HttpRequest, ok_status: int):
    body = _job(plan, request)
    if not plan.blocked or plan.job.status == "Cancelled":
        return Status(ok_status, body)
    blocked = [r for r in body["resolutions"] if r["is_blocked"]]
    stages = ", ".join(r["stage"] for r in blocked)
    body.update(
        {
            "detail": f"Model unavailable: blocked stage(s) {stages}. Choose one of the options "
            f"(POST /api/jobs/{plan.job.id}/decision).",
            "errors": [],
            "blocked_stages": blocked,
            "options": [{"option": o, "description": DECISION_HELP[o]} for o in DECISIONS],
        }
    )
    return Status(409, body)


@router.post(
    "/jobs",
    response={
        201: JobOut,
        409: BlockedJobOut,
        **{k: v for k, v in WRITE_ERRORS.items() if k != 409},
        402: ErrorOut,
    },
    auth=write_access(Job, "add"),
    operation_id="models_selection_api_job_create",
)
def job_create(request: HttpRequest, payload: JobIn):
    """Plan a run: resolve every stage; 201 with the plan, or 409 with the blocked stages and options."""
    plan = job_plan(
        brief=payload.brief,
        model_overrides=_overrides(payload.model_overrides),
        project_id=payload.project_id,
        allow_auto_fallback=payload.allow_auto_fallback,
        user=request.user,
        correlation_id=request.correlation_id,
        preference_choices=PreferenceChoices.of(payload),
    )
    if payload.start and not plan.blocked:
        plan.job = run_start(job_id=plan.job.id, user=request.user)
        plan.job.refresh_from_db()
    return _plan_answer(plan, request, 201)


@router.get("/jobs", response={200: RunListOut, **READ_422}, auth=read_access(Job),
            operation_id="models_selection_api_job_list")
def job_list(request: HttpRequest, filters: Query[RunListQuery]):
    """Recent runs, newest first, with their status, cost and quality ({items, count}, paged)."""
    rows = selectors.runs_recent(status=filters.status)
    page = rows[filters.offset : filters.offset + filters.limit]
    return {"items": [selectors.run_summary(job) for job in page], "count": rows.count()}


@router.get("/jobs/{job_id}", response={200: JobOut, **READ_ERRORS}, auth=read_access(Job),
            operation_id="models_selection_api_job_get")
def job_get(request: HttpRequest, job_id: str):
    """One run and its current plan."""
    return _job(selectors.job_get(job_id=job_id), request)


@router.post(
    "/jobs/{job_id}/decision",
    response={
        200: JobOut,
        409: BlockedJobOut,
        402: ErrorOut,
        **{k: v for k, v in WRITE_ERRORS.items() if k != 409},
    },
    auth=write_access(Job, "change"),
    operation_id="models_selection_api_job_decision",
)
def job_decision(request: HttpRequest, job_id: str, payload: DecisionIn):
    """Take apply-recommended (optionally with chosen models), retry, use-global-defaults or cancel."""
    plan = job_decide(
        job_id=job_id,
        decision=payload.decision,
        choices={stage: (c.provider, c.model_id) for stage, c in payload.choices.items()},
        user=request.user,
        correlation_id=request.correlation_id,
    )
    return _plan_answer(plan, request, 200)


@router.post(
    "/jobs/{job_id}/start",
    response={202: JobOut, 402: ErrorOut, **{k: v for k, v in WRITE_ERRORS.items() if k not in (413, 422)}},
    auth=write_access(Job, "change"),
    operation_id="models_selection_api_job_start",
)
def job_start(request: HttpRequest, job_id: str):
    """Execute a planned run (a Celery task runs its stages); 409 when it is blocked, running or finished.

    503 when the task queue is unreachable: the run stays Planned and holds nothing until started again.
    """
    job = run_start(job_id=job_id, user=request.user)
    job.refresh_from_db()
    return Status(202, _job(job, request))


@router.get("/jobs/{job_id}/artifacts", response={200: ArtifactsOut, **READ_ERRORS}, auth=read_access(Job),
            operation_id="models_selection_api_job_artifacts")
def job_artifacts(request: HttpRequest, job_id: str):
    """The run's script, visual prompts per scene and narration, and the same as one Markdown document."""
    job = selectors.job_get(job_id=job_id)
    return {
        "job_id": job.id,
        "status": job.status,
        **selectors.artifacts_of(job),
        "markdown": selectors.artifacts_markdown(job),
        "correlation_id": request.correlation_id,
    }
