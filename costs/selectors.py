"""Reads for costs: the current period's totals and budgets, a run's costs and its operations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.db.models import Count, Q, Sum

from .budgets import budget_at
from .configuration import configuration_get
from .models import ZERO, BudgetTotal, CostOperation
from .money import money, percent
from .optimizer import job_suggestions


def current_period() -> dict[str, Any]:
    """Spent, held and available this period, overall and per provider (and per project when tracked)."""
    budget = budget_at()
    config, window = budget.config, budget.window
    totals = {(t.scope, t.key): t for t in BudgetTotal.objects.filter(period_start=window[0])} if window else {}
    overall = totals.get((BudgetTotal.OVERALL, ""))
    spent = overall.spent if overall else ZERO
    held = overall.held if overall else ZERO
    limit = config.overall_monthly_budget

    def figures(scope) -> dict[str, Any]:
        total = totals.get((scope.scope, scope.key)) or BudgetTotal()
        return {"spent": float(money(total.spent)), "held": float(money(total.held)),
                "budget": None if scope.budget is None else float(scope.budget),
                "available": None if scope.budget is None else float(money(scope.budget - total.spent - total.held)),
                "percentageUsed": percent(total.spent, scope.budget)}

    scopes = budget.report_scopes(totals)
    return {
        "totalCost": float(money(spent)), "currency": config.currency, "periodType": config.period_type,
        "budget": None if limit is None else float(limit), "percentageUsed": percent(spent, limit),
        "periodStart": window[0] if window else None, "periodEnd": window[1] if window else None,
        "held": float(money(held)), "available": None if limit is None else float(money(limit - spent - held)),
        "hardBudgetLimit": config.hard_budget_limit, "alertThresholds": config.alert_thresholds,
        "providers": [{"provider": s.key, **figures(s)} for s in scopes if s.scope == BudgetTotal.PROVIDER],
        "projects": [{"projectId": s.key, **figures(s)} for s in scopes if s.scope == BudgetTotal.PROJECT],
    }


def _breakdown(rows, key: str, total: Decimal) -> dict[str, dict[str, float]]:
    return {r[key]: {"cost": float(money(r["cost"])), "percentageOfTotal": percent(r["cost"], total) or 0.0}
            for r in rows}


# A run summary lists at most this many operations; all of them are paged at GET …/operations?jobId=.
SUMMARY_OPERATIONS = 20


def run_summary(*, job_id: str) -> dict[str, Any] | None:
    """A run's cost report: by stage and provider, token statistics, suggestions, its first operations.

    Every figure is an SQL aggregate, so the work and the answer stay the same size however long the
    run; the operations themselves are paged by `operations_page`.
    """
    ops = CostOperation.objects.filter(job_id=job_id)
    stats = ops.aggregate(
        total=Sum("cost"), saved=Sum("cost_saved"), count=Count("id"), hits=Count("id", filter=Q(cache_hit=True)),
        tokens_in=Sum("input_tokens"), tokens_out=Sum("output_tokens"))
    if not stats["count"]:
        return None
    first = list(ops.order_by("timestamp", "id")[:SUMMARY_OPERATIONS])
    return {
        **run_costs(job_id=job_id, total=stats["total"] or ZERO),
        "tokenStats": {
            "totalTokens": (stats["tokens_in"] or 0) + (stats["tokens_out"] or 0),
            "inputTokens": stats["tokens_in"] or 0, "outputTokens": stats["tokens_out"] or 0,
            "operationCount": stats["count"], "cacheHits": stats["hits"],
            "cacheHitRate": percent(Decimal(stats["hits"]), Decimal(stats["count"])) or 0.0,
            "costSavedByCache": float(money(stats["saved"] or ZERO)),
        },
        "operations": [operation_dict(o) for o in first],
        "operationsHref": f"/api/cost-tracking/operations?jobId={quote(job_id)}",
        "optimizationSuggestions": job_suggestions(job_id=job_id),
    }


def run_summary_of_nothing(*, job_id: str) -> dict[str, Any]:
    """The report of a job with no operations recorded (yet): zero cost, empty breakdowns."""
    return {
        "jobId": job_id, "totalCost": 0.0, "currency": configuration_get().currency,
        "costByStage": {}, "costByProvider": {},
        "tokenStats": {"totalTokens": 0, "inputTokens": 0, "outputTokens": 0, "operationCount": 0, "cacheHits": 0,
                       "cacheHitRate": 0.0, "costSavedByCache": 0.0},
        "operations": [], "operationsHref": f"/api/cost-tracking/operations?jobId={quote(job_id)}",
        "optimizationSuggestions": [],
    }


def run_costs(*, job_id: str, total: Decimal | None = None) -> dict[str, Any] | None:
    """A run's total cost and its split by stage and by provider (what the live cost meter shows)."""
    ops = CostOperation.objects.filter(job_id=job_id)
    by_stage = list(ops.values("stage").annotate(cost=Sum("cost")).order_by("-cost", "stage"))
    if not by_stage:
        return None
    total = sum((r["cost"] for r in by_stage), ZERO) if total is None else total
    by_provider = ops.values("provider").annotate(cost=Sum("cost")).order_by("-cost", "provider")
    return {
        "jobId": job_id, "totalCost": float(money(total)), "currency": configuration_get().currency,
        "costByStage": _breakdown(by_stage, "stage", total),
        "costByProvider": _breakdown(by_provider, "provider", total),
    }


def operations_page(*, job_id: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of a job's operations in time order, and how many it has."""
    ops = CostOperation.objects.filter(job_id=job_id)
    return [operation_dict(o) for o in ops.order_by("timestamp", "id")[offset:offset + limit]], ops.count()


def operation_dict(o: CostOperation) -> dict[str, Any]:
    return {"idempotencyKey": o.idempotency_key, "jobId": o.job_id, "projectId": o.project_id, "stage": o.stage,
            "provider": o.provider, "model": o.model, "inputTokens": o.input_tokens, "outputTokens": o.output_tokens,
            "characters": o.characters, "images": o.images, "seconds": float(o.seconds), "cacheHit": o.cache_hit,
            "cost": float(o.cost), "costSaved": float(o.cost_saved), "costSource": o.cost_source,
            "overrun": o.overrun, "estimated": o.estimated, "timestamp": o.timestamp.isoformat()}
