"""HTMX pages for costs: budget, current period, alerts, pricing, the live cost meter, exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from aura_site.auth import can
from aura_site.errors import DomainError
from aura_site.history import last_change
from aura_site.pages import done, require
from aura_site.polling import Poll, attempt_of, poll_next

from . import alerts, configuration, exports, optimizer, pricing, selectors
from .forms import ConfigurationForm, OptimizeForm, PriceForm
from .insights_views import insights_context, webhooks_context
from .models import Alert, CostConfiguration, CostOperation, ExportJob, Hold, Price


def _bar_class(percent: float | None, thresholds: list[int]) -> str:
    """Green below the first alert threshold, amber from it, red once the budget is used up."""
    if percent is None:
        return "ok"
    if percent >= 100:
        return "bad"
    return "warn" if percent >= (thresholds[0] if thresholds else 75) else "ok"


def _bar_value(percent: float | None) -> float:
    """A progress bar's aria-valuenow: never past its maximum of 100 (the text says how far over)."""
    return min(max(percent or 0, 0), 100)


def _period_context() -> dict:
    period = selectors.current_period()
    thresholds = period["alertThresholds"] or []
    period["barClass"] = _bar_class(period["percentageUsed"], thresholds)
    period["barValue"] = _bar_value(period["percentageUsed"])
    for row in period["providers"]:
        row["barClass"] = _bar_class(row["percentageUsed"], thresholds)
        row["barValue"] = _bar_value(row["percentageUsed"])
    return {"period": period}


@login_required
def costs_page(request: HttpRequest) -> HttpResponse:
    require(request, CostOperation, "view")
    config = configuration.configuration_get()
    form = ConfigurationForm(initial=ConfigurationForm.initial_from(config))
    return render(request, "costs/costs.html", _page_context(request, form))


def _page_context(request: HttpRequest, form, optimize=None, optimize_form=None) -> dict:
    recent = (CostOperation.objects.exclude(job_id="").values("job_id").annotate(total=Sum("cost"))
              .order_by("-total")[:10])
    period = _period_context()
    return {
        "form": form, **period, "currency": period["period"]["currency"],
        "alerts": list(Alert.objects.filter(acknowledged_at__isnull=True)[:20]),
        "prices": list(Price.objects.all()), "price_form": PriceForm(), "recent_jobs": list(recent),
        "optimize": optimize, "optimize_form": optimize_form or OptimizeForm(),
        "may_configure": can(request.user, CostConfiguration, "change"),
        "may_price": can(request.user, Price, "change"), "may_ack": can(request.user, Alert, "change"),
        "config_change": last_change(configuration.configuration_get()),
        **insights_context(request), **webhooks_context(request),
    }


@require_POST
@login_required
def configuration_save(request: HttpRequest) -> HttpResponse:
    require(request, CostConfiguration, "change")
    form = ConfigurationForm(request.POST)
    if form.is_valid():
        try:
            configuration.configuration_update(data=form.cleaned_data)
        except DomainError as error:
            error.add_to_form(form)
        else:
            messages.success(request, "Budget configuration saved.")
            return redirect("costs:page")
    return render(request, "costs/costs.html", _page_context(request, form), status=200)


@login_required
def period_panel(request: HttpRequest) -> HttpResponse:
    require(request, CostOperation, "view")
    return render(request, "costs/costs.html#period", _period_context())


@require_POST
@login_required
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    require(request, Alert, "change")
    try:
        alerts.alert_acknowledge(alert_id=alert_id, user=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    return done(request, reverse("costs:page"))


@require_POST
@login_required
def price_save(request: HttpRequest) -> HttpResponse:
    require(request, Price, "change")
    form = PriceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Price not saved: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return done(request, reverse("costs:page") + "#pricing")
    data = {k: v for k, v in form.cleaned_data.items() if k not in {"provider_name", "model_id"}}
    try:
        pricing.price_set(provider_name=form.cleaned_data["provider_name"],
                           model_id=form.cleaned_data["model_id"] or "", data=data, user=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Price of {form.cleaned_data['provider_name']} "
                                  f"{form.cleaned_data['model_id'] or ''} saved.")
    return done(request, reverse("costs:page") + "#pricing")


@require_POST
@login_required
def optimize(request: HttpRequest) -> HttpResponse:
    require(request, CostOperation, "view")
    form = OptimizeForm(request.POST)
    result = None
    if form.is_valid():
        result = optimizer.optimize_budget(
            budget_limit=form.cleaned_data["budget_limit"], desired_quality=form.cleaned_data["desired_quality"],
            deadline_minutes=form.cleaned_data["deadline_minutes"], pinned=optimizer.pinned_stages())
    return render(request, "costs/optimize_result.html", {"optimize": result, "optimize_form": form,
                                                          "currency": configuration.configuration_get().currency})


def _meter_context(job_id: str, summary: dict | None = None) -> dict:
    """The live meter's figures: the run's cost split only (it is polled every 2 s while a run goes on)."""
    summary = summary or selectors.run_costs(job_id=job_id)
    hold = Hold.objects.filter(job_id=job_id).first()
    spent = Decimal(str(summary["totalCost"])) if summary else Decimal(0)
    estimate = max(spent, hold.amount) if hold else spent
    period = _period_context()["period"]
    return {"job_id": job_id, "summary": summary, "hold": hold, "spent": spent, "estimate": estimate,
            "period": period, "running": bool(hold and hold.released_at is None),
            "stage_bars": _bars(summary["costByStage"]) if summary else [],
            "provider_bars": _bars(summary["costByProvider"]) if summary else []}


def _bars(breakdown: dict) -> list[dict]:
    """Rows of a horizontal bar chart (drawn as server-side SVG)."""
    top = max((v["cost"] for v in breakdown.values()), default=0) or 1
    return [{"label": k, "cost": v["cost"], "percent": v["percentageOfTotal"], "width": round(300 * v["cost"] / top),
             "y": i * 28} for i, (k, v) in enumerate(breakdown.items())]


@login_required
def job_costs(request: HttpRequest, job_id: str) -> HttpResponse:
    require(request, CostOperation, "view")
    return render(request, "costs/job.html", _meter_context(job_id, selectors.run_summary(job_id=job_id)))


@login_required
def job_meter(request: HttpRequest, job_id: str) -> HttpResponse:
    require(request, CostOperation, "view")
    return render(request, "costs/job.html#meter", _meter_context(job_id))


@require_POST
@login_required
def export_start(request: HttpRequest, job_id: str) -> HttpResponse:
    require(request, ExportJob, "add")
    try:
        export = exports.export_start(job_id=job_id, fmt=request.POST.get("format", "csv"), user=request.user)
    except DomainError as error:
        return render(request, "costs/export_status.html", {"error": error.detail})
    return render(request, "costs/export_status.html", {"export": export, "poll": _export_poll(export, 0)})


# An export waiting this long for a worker to pick it up has nobody to run it. Once started, the task's
# own time limit ends it (FAILURE), so a started export is polled until its final state.
EXPORT_PICKUP_PATIENCE = dt.timedelta(seconds=60)


def _export_poll(export: ExportJob, attempt: int) -> Poll:
    patience = EXPORT_PICKUP_PATIENCE if export.state == ExportJob.State.PENDING else dt.timedelta(hours=2)
    return poll_next(attempt=attempt, waiting_since=export.created_at, patience=patience)


@login_required
def export_status(request: HttpRequest, export_id) -> HttpResponse:
    require(request, CostOperation, "view")
    export = ExportJob.objects.filter(pk=export_id).first()
    if export is None:
        raise Http404
    return render(request, "costs/export_status.html",
                  {"export": export, "poll": _export_poll(export, attempt_of(request))})
