"""The Costs page's spend over time, breakdowns, forecast and webhook sections (HTMX partials)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from aura_site.auth import can
from aura_site.errors import DomainError
from aura_site.pages import require

from . import analytics, configuration, webhooks
from .charts import stacked_bars
from .forecast import period_forecast
from .insights_forms import SpendRangeForm, WebhookForm
from .models import CostConfiguration, CostOperation, Webhook, WebhookDelivery

DELIVERY_LOG_SIZE = 20




def insights_context(request: HttpRequest) -> dict:
    """Spend over time for the range asked in the query string (the current period by default)."""
    form = SpendRangeForm(request.GET or None)
    choice = {"date_from": None, "date_to": None, "group_by": "day", "by": "provider"}
    if form.is_bound and form.is_valid():
        choice |= {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        choice["by"] = form.cleaned_data["by"] if "by" in request.GET else "provider"
    try:
        span = analytics.date_range(choice["date_from"], choice["date_to"])
    except DomainError as error:
        return {"range_form": form, "insights_error": error.detail}
    if not form.is_bound:
        form = SpendRangeForm(initial={"date_from": span.start, "date_to": span.end, "group_by": "day",
                                       "by": "provider"})
    spend = analytics.spend_series(span=span, group_by=choice["group_by"], by=choice["by"] or None)
    breakdowns = analytics.breakdowns(span=span, limit=5)
    rows = [{"period": period, "cells": [s["points"][i]["cost"] for s in spend["series"]],
             "total": spend["totals"][i]["cost"]} for i, period in enumerate(spend["periods"])]
    return {"range_form": form, "spend": spend, "spend_rows": rows, "range_days": span.days,
            "chart": stacked_bars(spend),
            "breakdowns": breakdowns,
            "breakdown_rows": [(name, breakdowns[name]) for name in analytics.DIMENSIONS],
            **forecast_context()}


def forecast_context() -> dict:
    forecast = period_forecast()
    if forecast is None:
        return {"forecast": None, "forecast_rows": []}
    rows = [{"name": "Overall", **forecast["overall"]}]
    rows += [{"name": p["provider"], **p} for p in forecast["providers"]]
    rows += [{"name": f"Project {p['projectId']}", **p} for p in forecast["projects"]]
    return {"forecast": forecast, "forecast_rows": rows}


@login_required
def insights_panel(request: HttpRequest) -> HttpResponse:
    require(request, CostOperation, "view")
    return render(request, "costs/costs_insights.html", insights_context(request))


def webhooks_context(request: HttpRequest, form: WebhookForm | None = None) -> dict:
    if not can(request.user, Webhook, "view"):
        return {"may_view_webhooks": False}
    return {
        "may_view_webhooks": True,
        "webhooks": list(Webhook.objects.order_by("name")),
        "deliveries": list(WebhookDelivery.objects.select_related("webhook")[:DELIVERY_LOG_SIZE]),
        "webhook_form": form or WebhookForm(), "may_add_webhook": can(request.user, Webhook, "add"),
        "may_change_webhook": can(request.user, Webhook, "change"),
        "may_delete_webhook": can(request.user, Webhook, "delete"),
        "may_configure_alerts": can(request.user, CostConfiguration, "change"),
        "forecast_alerts_enabled": configuration.configuration_get().forecast_alerts_enabled,
    }


def _back(request: HttpRequest) -> HttpResponse:
    url = reverse("costs:page") + "#webhooks"
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
def webhooks_panel(request: HttpRequest) -> HttpResponse:
    require(request, Webhook, "view")
    return render(request, "costs/costs_webhooks.html", webhooks_context(request))


@require_POST
@login_required
def webhook_add(request: HttpRequest) -> HttpResponse:
    require(request, Webhook, "add")
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            webhooks.webhook_create(**form.cleaned_data, user=request.user)
        except DomainError as error:
            error.add_to_form(form)
        else:
            if request.htmx:  # the section is swapped in place, with an empty form
                return render(request, "costs/costs_webhooks.html",
                              webhooks_context(request) | {"added": form.cleaned_data["name"]})
            messages.success(request, f"Webhook {form.cleaned_data['name']!r} added.")
            return _back(request)
    # htmx swaps only 2xx answers: the form comes back with its errors; without htmx the status says it.
    return render(request, "costs/costs_webhooks.html", webhooks_context(request, form),
                  status=200 if request.htmx else 422)


@require_POST
@login_required
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    require(request, Webhook, "change")
    try:
        webhooks.webhook_send_test(webhook_id=webhook_id)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Test message queued; its delivery shows in the log below.")
    return _back(request)


@require_POST
@login_required
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    require(request, Webhook, "delete")
    try:
        webhooks.webhook_delete(webhook_id=webhook_id)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Webhook deleted.")
    return _back(request)


@require_POST
@login_required
def forecast_alerts_toggle(request: HttpRequest) -> HttpResponse:
    require(request, CostConfiguration, "change")
    enabled = request.POST.get("enabled") == "on"
    configuration.configuration_update(data={"forecast_alerts_enabled": enabled})
    messages.success(request, "Forecast alerts turned " + ("on." if enabled else "off."))
    return _back(request)
