"""Spend over time, breakdowns and forecasts, read from the rollups, on constructed histories."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
import time_machine

from costs import ledger
from costs.forecast import period_forecast
from costs.models import CostOperation

pytestmark = pytest.mark.django_db
BASE = "/api/cost-tracking"
UTC = dt.UTC


def _record(day: str, cost: float, provider: str = "OpenAI", user=None, **extra) -> None:
    _record.n += 1
    ledger.operations_record(operations=[{
        "idempotency_key": f"op{_record.n}", "stage": extra.pop("stage", "script"), "provider": provider,
        "cost": cost, "timestamp": dt.datetime.fromisoformat(day).replace(tzinfo=UTC), **extra}], user=user)


_record.n = 0


@pytest.fixture
def history(owner, viewer, settings):
    settings.TIME_ZONE = "UTC"
    _record("2026-11-01T10:00", 1.0, "OpenAI", owner, model="gpt-4o", project_id="alpha")
    _record("2026-11-01T23:59", 2.0, "Anthropic", viewer, model="claude", stage="visual")
    _record("2026-11-03T00:00", 4.0, "OpenAI", owner, model="gpt-4o-mini", project_id="beta")
    _record("2026-11-09T12:00", 8.0, "Gemini", None, model="flash")
    _record("2026-10-30T12:00", 5.0, "OpenAI", owner, model="gpt-4o")  # the range before


def test_spend_per_day_has_a_point_for_every_day_and_totals(history, owner_api):
    body = owner_api.get(f"{BASE}/spend", {"from": "2026-11-01", "to": "2026-11-03"}).json()
    assert body["periods"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert body["series"] == [{"key": "total", "label": "Total", "total": 7.0, "share": 100.0, "points": [
        {"period": "2026-11-01", "cost": 3.0}, {"period": "2026-11-02", "cost": 0.0},
        {"period": "2026-11-03", "cost": 4.0}]}]
    assert body["total"] == 7.0 and body["currency"] == "USD"


def test_spend_per_week_by_provider_starts_weeks_on_sunday(history, owner_api):
    body = owner_api.get(f"{BASE}/spend", {"from": "2026-11-01", "to": "2026-11-14", "groupBy": "week",
                                           "by": "provider"}).json()
    assert body["periods"] == ["2026-11-01", "2026-11-08"]  # 1 Nov 2026 is a Sunday
    series = {s["key"]: [p["cost"] for p in s["points"]] for s in body["series"]}
    assert series == {"Gemini": [0.0, 8.0], "OpenAI": [5.0, 0.0], "Anthropic": [2.0, 0.0]}
    assert [s["key"] for s in body["series"]] == ["Gemini", "OpenAI", "Anthropic"]
    assert [t["cost"] for t in body["totals"]] == [7.0, 8.0]


def test_spend_by_user_names_the_users_and_filters_by_project(history, owner, owner_api):
    body = owner_api.get(f"{BASE}/spend", {"from": "2026-10-01", "to": "2026-11-30", "groupBy": "month",
                                           "by": "user"}).json()
    assert {s["label"]: s["total"] for s in body["series"]} == {"owner": 10.0, "viewer": 2.0, "(no user)": 8.0}
    filtered = owner_api.get(f"{BASE}/spend", {"from": "2026-11-01", "to": "2026-11-30", "project": "beta"}).json()
    assert filtered["total"] == 4.0
    mine = owner_api.get(f"{BASE}/spend", {"from": "2026-11-01", "to": "2026-11-30", "user": owner.pk}).json()
    assert mine["total"] == 5.0


def test_spend_beyond_the_limit_sums_the_rest_as_other(history, owner_api):
    body = owner_api.get(f"{BASE}/spend", {"from": "2026-11-01", "to": "2026-11-30", "by": "model",
                                           "limit": 2}).json()
    assert [(s["key"], s["total"]) for s in body["series"]] == [("flash", 8.0), ("gpt-4o-mini", 4.0),
                                                                ("__other__", 3.0)]


@pytest.mark.parametrize("params", [
    {"from": "2026-11-05", "to": "2026-11-01"}, {"from": "2020-01-01", "to": "2026-01-01"},
    {"groupBy": "year"}, {"by": "colour"}, {"limit": 0}, {"limit": 51}, {"from": "not-a-date"}, {"user": -1},
])
def test_bad_spend_queries_are_422_naming_the_field(owner_api, params):
    response = owner_api.get(f"{BASE}/spend", params)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert response.json()["errors"]


def test_spend_needs_view_permission(outsider_api, anon_api):
    assert outsider_api.get(f"{BASE}/spend").status_code == HTTPStatus.FORBIDDEN
    assert anon_api.get(f"{BASE}/spend").status_code == HTTPStatus.UNAUTHORIZED


def test_spend_reads_the_rollups_not_the_ledger(history, owner_api):
    CostOperation.objects.all().delete()  # the rollups alone answer
    assert owner_api.get(f"{BASE}/spend", {"from": "2026-11-01", "to": "2026-11-30"}).json()["total"] == 15.0


def test_spend_runs_a_constant_number_of_queries(history, owner_api, django_assert_max_num_queries):
    for i in range(30):
        _record(f"2026-11-{1 + i % 28:02d}T05:00", 0.5, f"P{i}", model=f"m{i}")
    with django_assert_max_num_queries(8):
        owner_api.get(f"{BASE}/spend", {"from": "2026-11-01", "to": "2026-11-30", "by": "user"})
    with django_assert_max_num_queries(12):
        owner_api.get(f"{BASE}/breakdowns", {"from": "2026-11-01", "to": "2026-11-30"})


def test_breakdowns_give_share_and_change_against_the_previous_range(history, owner_api):
    body = owner_api.get(f"{BASE}/breakdowns", {"from": "2026-11-01", "to": "2026-11-04"}).json()
    assert (body["previousFrom"], body["previousTo"]) == ("2026-10-28", "2026-10-31")
    assert (body["total"], body["previousTotal"], body["change"]) == (7.0, 5.0, 40.0)
    assert body["provider"] == [
        {"key": "OpenAI", "label": "OpenAI", "cost": 5.0, "share": 71.4, "previousCost": 5.0, "change": 0.0},
        {"key": "Anthropic", "label": "Anthropic", "cost": 2.0, "share": 28.6, "previousCost": 0.0, "change": None},
    ]
    assert [r["label"] for r in body["user"]] == ["owner", "viewer"]
    assert [(r["key"], r["cost"]) for r in body["stage"]] == [("script", 5.0), ("visual", 2.0)]
    assert {r["label"] for r in body["project"]} == {"alpha", "beta", "(none)"}


# ---- forecast -------------------------------------------------------------------------------------


@pytest.fixture
def budgets(owner_api, settings):
    settings.TIME_ZONE = "UTC"
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 100, "providerBudgets": {"OpenAI": 30}})


def test_the_forecast_uses_the_last_seven_days_and_says_when_each_budget_is_reached(budgets, owner_api):
    # 2 a day on OpenAI and 1 a day on Anthropic for the first 10 days of November (30 days).
    for day in range(1, 11):
        _record(f"2026-11-{day:02d}T01:00", 2.0, "OpenAI")
        _record(f"2026-11-{day:02d}T01:00", 1.0, "Anthropic")
    with time_machine.travel(dt.datetime(2026, 11, 11, 0, 0, tzinfo=UTC), tick=False):
        forecast = period_forecast()
        body = owner_api.get(f"{BASE}/current-period").json()
    assert forecast["basis"] == "last 7 days"
    overall = forecast["overall"]
    assert overall["spent"] == 30.0
    # 7 days (5 Nov–11 Nov 00:00) with 6 days of spend → 18 / 6 = 3 a day, 20 days left → 90.
    assert overall["burnRatePerDay"] == pytest.approx(18 / 6, abs=0.01)
    assert overall["projectedSpend"] == 90.0 and not overall["willExceed"]
    assert overall["budgetReachedOn"] is None  # 100 is not reached before 1 December
    openai = next(p for p in forecast["providers"] if p["provider"] == "OpenAI")
    # OpenAI: 20 spent of 30 at 2 a day → reached 5 days later, on 16 November.
    assert openai["spent"] == 20.0 and openai["burnRatePerDay"] == 2.0
    assert str(openai["budgetReachedOn"]) == "2026-11-16" and openai["willExceed"]
    assert body["forecast"]["providers"][1]["budgetReachedOn"] == "2026-11-16"
    assert body["totalCost"] == 30.0 and "percentageUsed" in body  # the guide's fields are still there


def test_early_in_a_period_the_forecast_uses_the_period_so_far(budgets):
    _record("2026-11-01T06:00", 10.0, "OpenAI")
    with time_machine.travel(dt.datetime(2026, 11, 2, 0, 0, tzinfo=UTC), tick=False):
        forecast = period_forecast()
    assert forecast["basis"] == "period so far"
    assert forecast["overall"]["burnRatePerDay"] == 10.0
    assert str(forecast["overall"]["budgetReachedOn"]) == "2026-11-11"  # 90 left at 10 a day from 2 Nov
    assert forecast["overall"]["projectedSpend"] == 300.0 and forecast["overall"]["willExceed"]


def test_a_budget_already_spent_is_reported_as_exceeded_not_as_a_future_day(budgets):
    _record("2026-11-01T06:00", 35.0, "OpenAI")
    with time_machine.travel(dt.datetime(2026, 11, 3, tzinfo=UTC), tick=False):
        openai = next(p for p in period_forecast()["providers"] if p["provider"] == "OpenAI")
    assert openai["alreadyExceeded"] and openai["budgetReachedOn"] is None


def test_spend_before_the_period_does_not_count_towards_its_pace(budgets):
    _record("2026-10-31T23:00", 50.0, "OpenAI")
    _record("2026-11-02T10:00", 3.0, "OpenAI")
    with time_machine.travel(dt.datetime(2026, 11, 4, tzinfo=UTC), tick=False):
        overall = period_forecast()["overall"]
    assert overall["spent"] == 3.0 and overall["burnRatePerDay"] == 1.0


def test_no_spending_means_no_budget_date(budgets, owner_api):
    with time_machine.travel(dt.datetime(2026, 11, 4, tzinfo=UTC), tick=False):
        body = owner_api.get(f"{BASE}/forecast").json()
    assert body["overall"]["burnRatePerDay"] == 0.0 and body["overall"]["budgetReachedOn"] is None
