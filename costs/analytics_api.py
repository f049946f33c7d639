"""REST routes for spend over time, breakdowns and the forecast, under /api/cost-tracking."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from aura_site.auth import read_access
from aura_site.errors import NotFound
from aura_site.schemas import READ_ERRORS, ErrorOut

from . import analytics
from .analytics_schemas import BreakdownsOut, ForecastOut, RangeQuery, SpendOut, SpendQuery
from .forecast import period_forecast
from .models import CostOperation

router = Router(tags=["Costs"], by_alias=True)
ANALYTICS_ERRORS = {**READ_ERRORS, 422: ErrorOut}


@router.get("/spend", response={200: SpendOut, **ANALYTICS_ERRORS}, auth=read_access(CostOperation))
def get_spend(request: HttpRequest, filters: Query[SpendQuery]):
    """Spend per day, week (from Sunday) or month between two days (inclusive), optionally one series per
    provider, model, stage, project or user; read from the daily rollups. Default range: the current period."""
    span = analytics.date_range(filters.date_from, filters.date_to)
    return analytics.spend_series(span=span, group_by=filters.group_by, by=filters.by, provider=filters.provider,
                                  project=filters.project, user=filters.user, limit=filters.limit)


@router.get("/breakdowns", response={200: BreakdownsOut, **ANALYTICS_ERRORS}, auth=read_access(CostOperation))
def get_breakdowns(request: HttpRequest, filters: Query[RangeQuery]):
    """Top providers, models, stages, projects and users of a range, with share of the total and the change
    against the range of the same length just before it."""
    span = analytics.date_range(filters.date_from, filters.date_to)
    return analytics.breakdowns(span=span, provider=filters.provider, project=filters.project, user=filters.user,
                                limit=filters.limit)


@router.get("/forecast", response={200: ForecastOut, **READ_ERRORS}, auth=read_access(CostOperation))
def get_forecast(request: HttpRequest):
    """Burn rate (last 7 days, or the period so far), projected spend at the period end, and the day each
    budget is reached at that pace."""
    forecast = period_forecast()
    if forecast is None:
        raise NotFound("No budget period is in force now.")
    return forecast
