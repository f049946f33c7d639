"""HTMX pages of runs: start, the live stages of a run, its Markdown, the recent runs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aura_site.errors import DomainError

from ..models import STAGE_LABELS, Job, JobStatus
from ..views import _done, _require
from . import selectors
from .execution import run_start

RUNS_PAGE = 25


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
    _require(request, Job, "change")
    try:
        run_start(job_id=job_id, user=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "The run has started.")
    return _done(request, reverse("models_selection:job", args=[job_id]))


@login_required
def job_stages(request: HttpRequest, job_id: str) -> HttpResponse:
    """The live part of the run page: stages, totals, review and artifacts (polled until the run ends)."""
    _require(request, Job, "view")
    return render(request, "models_selection/job.html#run-stages", stages_context(_job_or_404(job_id)))


@login_required
def job_markdown(request: HttpRequest, job_id: str) -> HttpResponse:
    """The run's artifacts as a Markdown download."""
    _require(request, Job, "view")
    job = _job_or_404(job_id)
    response = HttpResponse(selectors.artifacts_markdown(job), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job.id}.md"'
    return response


@login_required
def runs_page(request: HttpRequest) -> HttpResponse:
    """Recent runs with status, cost and quality."""
    _require(request, Job, "view")
    status = request.GET.get("status", "").strip()
    page = Paginator(selectors.runs_recent(status=status or None), RUNS_PAGE).get_page(request.GET.get("page"))
    return render(request, "models_selection/runs.html", {
        "page": page, "rows": [selectors.run_summary(job) for job in page], "status": status,
        "statuses": JobStatus.values})
