"""HTMX pages of runs: plan, the run page and its decisions, start, live stages, Markdown, recent runs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aura_site.auth import can
from aura_site.errors import DomainError
from aura_site.pages import done, require
from models_selection.resolver import RunOverride
from models_selection.stages import STAGE_LABELS, STAGES

from . import decisions, selectors
from .decisions import DECISION_HELP, DECISIONS
from .lifecycle import run_start
from .models import Job, JobStatus
from .planning import job_plan

RUNS_PAGE = 25






def _split(value: str) -> tuple[str, str]:
    provider, _, model_id = value.partition(":")
    return provider, model_id


def _job_or_404(job_id: str) -> Job:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job


def stages_context(job: Job) -> dict:
    details = selectors.run_details(job)
    return {"job": job, "run": details, "final": selectors.is_final(job) or job.status in ("Blocked", "Planned"),
            "artifacts": selectors.artifacts_of(job), "labels": {**STAGE_LABELS, "quality": "Quality scoring"}}


@require_POST
@login_required
def job_start(request: HttpRequest, job_id: str) -> HttpResponse:
    """Start a planned run from its page."""
    require(request, Job, "change")
    try:
        run_start(job_id=job_id, user=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "The run has started.")
    return done(request, reverse("runs:job", args=[job_id]))


@login_required
def job_stages(request: HttpRequest, job_id: str) -> HttpResponse:
    """The live part of the run page: stages, totals, review and artifacts (polled until the run ends)."""
    require(request, Job, "view")
    return render(request, "runs/job.html#run-stages", stages_context(_job_or_404(job_id)))


@login_required
def job_markdown(request: HttpRequest, job_id: str) -> HttpResponse:
    """The run's artifacts as a Markdown download."""
    require(request, Job, "view")
    job = _job_or_404(job_id)
    response = HttpResponse(selectors.artifacts_markdown(job), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job.id}.md"'
    return response


@login_required
def runs_page(request: HttpRequest) -> HttpResponse:
    """Recent runs with status, cost and quality."""
    require(request, Job, "view")
    status = request.GET.get("status", "").strip()
    page = Paginator(selectors.runs_recent(status=status or None), RUNS_PAGE).get_page(request.GET.get("page"))
    return render(request, "runs/runs.html", {
        "page": page, "rows": [selectors.run_summary(job) for job in page], "status": status,
        "statuses": JobStatus.values})


@require_POST
@login_required
def job_create(request: HttpRequest) -> HttpResponse:
    """Plan a run from the page; a blocked one opens the dialog with the four options."""
    require(request, Job, "add")
    overrides = {}
    for stage in STAGES:
        provider, model_id = _split(request.POST.get(f"override-{stage}", ""))
        if model_id:
            overrides[stage] = RunOverride(provider, model_id, request.POST.get(f"pin-{stage}") == "1")
    try:
        plan = job_plan(brief=request.POST.get("brief", ""), model_overrides=overrides,
                                 project_id=request.POST.get("project_id") or None,
                                 allow_auto_fallback=request.POST.get("allow_auto_fallback") == "1",
                                 user=request.user, correlation_id=request.correlation_id)
    except DomainError as error:
        messages.error(request, error.detail)
        return done(request, reverse("models_selection:page"))
    return done(request, reverse("runs:job", args=[plan.job.id]))


@login_required
def job_page(request: HttpRequest, job_id: str) -> HttpResponse:
    require(request, Job, "view")
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    blocked = [r for r in job.resolutions if r["is_blocked"]]
    # "Apply recommended" needs an alternative for every blocked stage; without one it is not offered.
    recommendable = bool(blocked) and all(r.get("alternatives") for r in blocked)
    return render(request, "runs/job.html", {
        "job": job, "blocked": blocked, "labels": STAGE_LABELS, "may_decide": can(request.user, Job, "change"),
        "options": [(o, DECISION_HELP[o]) for o in DECISIONS
                    if o != "apply-recommended" or recommendable],
        "decisions": list(job.decisions.order_by("-decided_at")[:20]),
        **stages_context(job),
    })


@require_POST
@login_required
def job_decide(request: HttpRequest, job_id: str) -> HttpResponse:
    require(request, Job, "change")
    decision = request.POST.get("decision", "")
    choices = {}
    for stage in STAGES:
        provider, model_id = _split(request.POST.get(f"choice-{stage}", ""))
        if model_id:
            choices[stage] = (provider, model_id)
    try:
        plan = decisions.job_decide(job_id=job_id, decision=decision, choices=choices or None, user=request.user,
                                   correlation_id=request.correlation_id)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"{decision}: the run is now {plan.job.status.lower()}.")
    return done(request, reverse("runs:job", args=[job_id]))
