"""HTMX pages for model selection: thin views over the same services as the API."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aura_site.auth import can
from aura_site.broker import enqueue
from aura_site.errors import DomainError
from aura_site.history import last_change
from aura_site.pages import done, require
from aura_site.polling import Poll, attempt_of, poll_next

from . import explaining, probes, selectors, services
from .models import ModelSelection, ProbeResult, ResolutionAudit, SelectionSettings, Source
from .stages import STAGE_LABELS, STAGES
from .tasks import probe_run

SOURCES = tuple(Source.values)
AUDIT_PAGE = 25






def _split(value: str) -> tuple[str, str]:
    provider, _, model_id = value.partition(":")
    return provider, model_id


@login_required
def models_page(request: HttpRequest) -> HttpResponse:
    require(request, ModelSelection, "view")
    current = selectors.selections_current()
    by_stage = {s.stage: s for s in current.stage_selections}
    catalog = selectors.catalog_available()
    entries = {(row.provider, row.model_id): e for group in catalog.values() for e in group for row in [e.row]}
    rows = []
    for stage in STAGES:
        selection = by_stage.get(stage)
        entry = entries.get((selection.provider, selection.model_id)) if selection else None
        rows.append({"stage": stage, "label": STAGE_LABELS[stage], "selection": selection, "entry": entry})
    global_default = current.global_defaults[0] if current.global_defaults else None
    context = {
        "rows": rows, "catalog": sorted(catalog.items()), "global_default": global_default,
        "global_entry": entries.get((global_default.provider, global_default.model_id)) if global_default else None,
        "allow_fallback": current.allow_automatic_fallback,
        "fallback_change": last_change(selectors.selection_settings()),
        "may_change": can(request.user, ModelSelection, "change"),
        "may_probe": can(request.user, ProbeResult, "add"),
        **_audit_context(request),
    }
    return render(request, "models_selection/models.html", context)


def _audit_context(request: HttpRequest) -> dict:
    filters = {k: request.GET.get(k, "").strip() for k in ("stage", "job", "source", "blocked")}
    blocked = {"yes": True, "no": False}.get(filters["blocked"])
    rows = selectors.audit_log(limit=None, stage=filters["stage"] or None, job_id=filters["job"] or None,
                               source=filters["source"] or None, blocked=blocked)
    page = Paginator(rows.order_by("-timestamp", "-id"), AUDIT_PAGE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return {"audit_page": page, "audit_filters": filters, "audit_query": query, "stages": STAGES,
            "sources": SOURCES}


@login_required
def audit_table(request: HttpRequest) -> HttpResponse:
    require(request, ResolutionAudit, "view")
    return render(request, "models_selection/models.html#audit", _audit_context(request))


@require_POST
@login_required
def selection_save(request: HttpRequest) -> HttpResponse:
    """Set a stage's (or the global default's) model; a deprecated model asks "Use anyway" first."""
    require(request, ModelSelection, "change")
    stage = request.POST.get("stage", "")
    scope = "Stage" if stage else "Global"
    provider, model_id = _split(request.POST.get("model", ""))
    if not model_id:
        messages.error(request, "Choose a model first.")
        return done(request, reverse("models_selection:page"))
    try:
        outcome = services.selection_set(
            scope=scope, stage=stage, provider=provider, model_id=model_id,
            pin=request.POST.get("pin") == "1" and scope == "Stage", reason=request.POST.get("reason", ""),
            allow_deprecated=request.POST.get("allow_deprecated") == "1", user=request.user,
            correlation_id=request.correlation_id)
    except DomainError as error:
        messages.error(request, error.detail)
        return done(request, reverse("models_selection:page"))
    if not outcome.applied:
        return render(request, "models_selection/deprecated_dialog.html", {
            "warning": outcome.deprecation_warning, "stage": stage, "model": f"{provider}:{model_id}",
            "pin": request.POST.get("pin", ""), "label": STAGE_LABELS.get(stage, "Global default")})
    messages.success(request, f"{STAGE_LABELS.get(stage, 'Global default')}: {provider} {model_id} "
                              f"{'pinned' if outcome.selection and outcome.selection.is_pinned else 'selected'}.")
    return done(request, reverse("models_selection:page"))


@require_POST
@login_required
def selection_pin(request: HttpRequest, stage: str) -> HttpResponse:
    """Pin or unpin a stage's current model."""
    require(request, ModelSelection, "change")
    current = ModelSelection.objects.filter(scope="Stage", stage=stage).first()
    if current is None:
        raise Http404("No model is selected for this stage.")
    pin = request.POST.get("pin") == "1"
    try:
        services.selection_set(scope="Stage", stage=stage, provider=current.provider, model_id=current.model_id,
                               pin=pin, reason="Pinned" if pin else "Unpinned", allow_deprecated=True,
                               user=request.user, correlation_id=request.correlation_id)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"{STAGE_LABELS[stage]} {'pinned' if pin else 'unpinned'}.")
    return done(request, reverse("models_selection:page"))


@require_POST
@login_required
def fallback_toggle(request: HttpRequest) -> HttpResponse:
    require(request, SelectionSettings, "change")
    enabled = request.POST.get("allow") == "1"
    services.settings_update(allow_automatic_fallback=enabled, user=request.user)
    messages.success(request, f"Automatic fallback {'enabled' if enabled else 'disabled'}.")
    return done(request, reverse("models_selection:page"))


@require_POST
@login_required
def probe_start(request: HttpRequest) -> HttpResponse:
    """Start a probe of a model; the answer polls its status until it is done."""
    require(request, ProbeResult, "add")
    provider, model_id = _split(request.POST.get("model", ""))
    try:
        probe = probes.probe_start(provider=provider, model_id=model_id, user=request.user,
                                     correlation_id=request.correlation_id)
    except DomainError as error:
        return render(request, "models_selection/probe_status.html", {"error": error.detail})
    try:
        enqueue(probe_run, probe.pk, "", undo=probe.delete)
    except DomainError as error:
        return render(request, "models_selection/probe_status.html", {"error": error.detail})
    return render(request, "models_selection/probe_status.html", {"probe": probe, "poll": _probe_poll(probe, 0)})


def _probe_poll(probe: ProbeResult, attempt: int) -> Poll:
    # A probe's HTTP calls end within a few timeouts; past that nobody is working on it.
    patience = dt.timedelta(seconds=max(30.0, 3 * settings.AURA_PROBE_TIMEOUT))
    return poll_next(attempt=attempt, waiting_since=probe.created_at, patience=patience)


@login_required
def probe_status(request: HttpRequest, probe_id: int) -> HttpResponse:
    require(request, ProbeResult, "view")
    probe = ProbeResult.objects.filter(pk=probe_id).first()
    if probe is None:
        raise Http404
    return render(request, "models_selection/probe_status.html",
                  {"probe": probe, "poll": _probe_poll(probe, attempt_of(request))})


@require_POST
@login_required
def explain(request: HttpRequest) -> HttpResponse:
    require(request, ModelSelection, "view")
    provider, model_id = _split(request.POST.get("model", ""))
    try:
        explanation = explaining.model_explain(stage=request.POST.get("stage") or "script", provider=provider,
                                              model_id=model_id)
    except DomainError as error:
        return render(request, "models_selection/explain.html", {"error": error.detail})
    return render(request, "models_selection/explain.html", {"x": explanation})
