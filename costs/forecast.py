"""When the money runs out at today's pace: burn rate, projected spend, the day each budget is reached."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .alerts import raise_alerts
from .budgets import budget_at
from .configuration import configuration_get
from .models import ZERO, Alert, BudgetTotal, CostRollup
from .money import money
from .rollups import MICROS, local_day

LOOKBACK_DAYS = 7
# Less than an hour of history says little about a pace; never divide by less.
MIN_ELAPSED = dt.timedelta(hours=1)


def _cents(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _days(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.total_seconds()) / Decimal(86400)


def scope_forecast(*, spent: Decimal, rate: Decimal, budget: Decimal | None, now: dt.datetime,
                   end: dt.datetime) -> dict[str, Any]:
    """Projected spend at the period end and when the budget is reached at this daily rate."""
    projected = spent + rate * _days(end - now)
    reached_at = None
    if budget is not None and spent < budget and rate > 0:
        days_left = (budget - spent) / rate
        # Compared before it becomes a date: at a slow pace it is beyond what a date can hold.
        if days_left < _days(end - now):
            reached_at = now + dt.timedelta(days=float(days_left))
    zone = ZoneInfo(settings.TIME_ZONE)
    return {
        "spent": _cents(spent), "burnRatePerDay": _cents(rate), "projectedSpend": _cents(projected),
        "budget": None if budget is None else float(budget),
        "projectedPercentage": None if not budget else float((projected * 100 / budget).quantize(Decimal("0.1"))),
        "budgetReachedAt": reached_at,
        "budgetReachedOn": reached_at.astimezone(zone).date() if reached_at else None,
        "alreadyExceeded": budget is not None and spent >= budget and budget > 0,
        "willExceed": budget is not None and projected > budget,
    }


def period_forecast(*, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The forecast of the budget period in force (None when no period is)."""
    now = now or timezone.now()
    budget = budget_at(now)
    config, window = budget.config, budget.window
    if window is None:
        return None
    start, end = window
    # The pace of the last 7 days, or of the period so far when it is younger than that.
    lookback_day = max(local_day(start), local_day(now) - dt.timedelta(days=LOOKBACK_DAYS - 1))
    lookback_start = max(start, dt.datetime.combine(lookback_day, dt.time(0), tzinfo=ZoneInfo(settings.TIME_ZONE)))
    elapsed = _days(max(now - lookback_start, MIN_ELAPSED))
    recent = CostRollup.objects.filter(day__gte=lookback_day, day__lte=local_day(now))

    def rates(column: str) -> dict[str, Decimal]:
        rows = recent.values(column).annotate(cost=Sum("cost_micros")).order_by()
        return {r[column]: Decimal(r["cost"] or 0) / MICROS / elapsed for r in rows}

    rate = {BudgetTotal.PROVIDER: rates("provider"), BudgetTotal.PROJECT: rates("project_id")}
    rate[BudgetTotal.OVERALL] = {"": sum(rate[BudgetTotal.PROVIDER].values(), ZERO)}
    spent = {(t.scope, t.key): t.spent for t in BudgetTotal.objects.filter(period_start=start)}
    scopes = budget.report_scopes(set(spent) | {(BudgetTotal.PROVIDER, p) for p in rate[BudgetTotal.PROVIDER]})

    def forecast(scope) -> dict[str, Any]:
        return scope_forecast(spent=spent.get((scope.scope, scope.key), ZERO),
                              rate=rate[scope.scope].get(scope.key, ZERO), budget=scope.budget, now=now, end=end)

    return {
        "basis": "last 7 days" if lookback_day > local_day(start) else "period so far",
        "basisStart": lookback_start, "periodStart": start, "periodEnd": end, "currency": config.currency,
        "overall": forecast(scopes[0]),
        "providers": [{"provider": s.key, **forecast(s)} for s in scopes if s.scope == BudgetTotal.PROVIDER],
        "projects": [{"projectId": s.key, **forecast(s)} for s in scopes if s.scope == BudgetTotal.PROJECT],
    }


def forecast_alerts_raise(*, now: dt.datetime | None = None) -> list[Alert]:
    """Alert, once per period and scope, when a budget will be reached before the period ends at this pace.

    Off unless the configuration's `forecastAlertsEnabled` is on; delivered like every alert (the page,
    e-mail when enabled, webhooks).
    """
    config = configuration_get()
    forecast = period_forecast(now=now) if config.forecast_alerts_enabled else None
    if forecast is None:
        return []
    start = forecast["periodStart"]
    scopes = [(BudgetTotal.OVERALL, "", forecast["overall"])] + [
        (BudgetTotal.PROVIDER, row["provider"], row) for row in forecast["providers"]]
    candidates = []
    for scope_name, key, row in scopes:
        if row["budgetReachedOn"] is None or row["budget"] is None:
            continue
        label = f"{key}'s budget" if scope_name == BudgetTotal.PROVIDER else "the overall budget"
        budget = Decimal(str(row["budget"]))
        candidates.append(Alert(
            dedupe_key=f"forecast:{scope_name}:{key}:{start.isoformat()}"[:300], period_start=start,
            scope=scope_name, key=key, threshold=100, spent=money(row["spent"]), budget=money(budget),
            message=(f"At this pace {label} "
                     f"({budget:.2f} {config.currency}) is reached on {row['budgetReachedOn']:%-d %B %Y}, "
                     f"before the period ends (projected {row['projectedSpend']:.2f} {config.currency})."),
        ))
    with transaction.atomic():
        return raise_alerts(config, candidates)
