"""Dates at the edges of the calendar: refused (422 naming the field, or a form error), never a 500."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client

from aura_site import supported_dates
from costs import configuration, ledger
from costs.models import CostConfiguration, CostOperation, ExportJob
from costs.periods import period_window

pytestmark = pytest.mark.django_db
BASE = "/api/cost-tracking"
TOO_EARLY = ["0001-01-01", "0001-01-02", "1899-12-31"]
TOO_LATE = ["9999-12-31", "9001-01-01"]
# Moments whose UTC instant is outside the range, some only once their offset is applied.
MOMENTS_OUTSIDE = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
                   "1900-01-01T00:30:00+01:00", "9000-12-31T23:30:00-01:00", "0001-01-01T00:00:00Z"]


def _the_app_still_answers(api) -> None:
    """Every read and write that computes with the budget period answers as usual."""
    assert api.get(f"{BASE}/current-period").status_code == HTTPStatus.OK
    assert api.get(f"{BASE}/forecast").status_code in {HTTPStatus.OK, HTTPStatus.NOT_FOUND}
    assert api.get(f"{BASE}/breakdowns").status_code == HTTPStatus.OK
    response = api.post(f"{BASE}/operations", {"idempotencyKey": "after", "stage": "TTS", "provider": "X", "cost": 1})
    assert response.status_code == HTTPStatus.OK, response.json()
    assert api.post(f"{BASE}/holds", {"jobId": "after", "amount": 1}).status_code in {
        HTTPStatus.CREATED, HTTPStatus.UNPROCESSABLE_ENTITY}  # 422: the custom period is not in force now


@pytest.mark.parametrize(("start", "end", "field"), [
    ("0001-01-01", "9999-12-31", "customStart"),
    ("2026-01-01", "9999-12-31", "customEnd"),
    ("0001-01-01", "2026-12-31", "customStart"),
    ("1899-12-31", "2026-12-31", "customStart"),
    ("2026-01-01", "9001-01-01", "customEnd"),
])
def test_a_custom_period_outside_the_supported_dates_is_a_422_naming_the_field(owner_api, start, end, field):
    before = configuration.configuration_get()
    response = owner_api.put(f"{BASE}/configuration", {"periodType": "Custom", "customStart": start,
                                                       "customEnd": end})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert field in [e["field"] for e in response.json()["errors"]]
    after = CostConfiguration.objects.get()
    assert (after.period_type, after.custom_start, after.custom_end) == (
        before.period_type, before.custom_start, before.custom_end)
    _the_app_still_answers(owner_api)


def test_a_custom_period_at_the_edges_of_the_supported_dates_works(owner_api):
    response = owner_api.put(f"{BASE}/configuration", {"periodType": "Custom", "customStart": "1900-01-01",
                                                       "customEnd": "9000-12-31", "overallMonthlyBudget": 100})
    assert response.status_code == HTTPStatus.OK, response.json()
    _the_app_still_answers(owner_api)
    assert owner_api.get(f"{BASE}/current-period").json()["totalCost"] == 1.0


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_costs_page_refuses_a_custom_period_outside_the_supported_dates_with_a_form_error(owner, owner_api,
                                                                                              day):
    client = Client()
    client.force_login(owner)
    form = {"period_type": "Custom", "custom_start": day if day < "2000" else "2026-01-01",
            "custom_end": day if day > "2000" else "2026-12-31", "currency": "USD",
            "alert_thresholds": "50, 100", "alert_frequency": "Once"}
    response = client.post("/costs/configuration/", form)
    assert response.status_code == HTTPStatus.OK
    assert "must be between 1900-01-01 and 9000-12-31" in response.content.decode()
    assert CostConfiguration.objects.get().period_type == "Monthly"
    assert client.get("/costs/").status_code == HTTPStatus.OK
    _the_app_still_answers(owner_api)


def test_a_custom_period_stored_before_the_bound_existed_is_read_within_the_supported_dates(owner_api):
    configuration.configuration_get()
    CostConfiguration.objects.update(period_type="Custom", custom_start=dt.date(1, 1, 1),
                                     custom_end=dt.date(9999, 12, 31))
    _the_app_still_answers(owner_api)
    start, end = period_window(CostConfiguration.objects.get(), dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    assert start.date() == supported_dates.EARLIEST and end.date() == supported_dates.LATEST + dt.timedelta(days=1)


@pytest.mark.parametrize("stamp", MOMENTS_OUTSIDE)
def test_an_operation_timestamp_outside_the_supported_dates_is_a_422_and_records_nothing(owner_api, stamp):
    response = owner_api.post(f"{BASE}/operations", {"operations": [
        {"idempotencyKey": "fine", "stage": "TTS", "provider": "X", "cost": 1},
        {"idempotencyKey": "edge", "stage": "TTS", "provider": "X", "cost": 1, "timestamp": stamp}]})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.endswith("operations[1].timestamp") for f in fields), fields
    assert CostOperation.objects.count() == 0


@pytest.mark.parametrize("stamp", ["1900-01-01T00:00:00Z", "1900-01-01T01:00:00+01:00", "9000-12-31T23:59:59Z",
                                   "9001-01-01T00:59:59+01:00"])
def test_an_operation_timestamp_at_the_edges_of_the_supported_dates_is_recorded(owner_api, stamp):
    response = owner_api.post(f"{BASE}/operations", {"idempotencyKey": "edge", "stage": "TTS", "provider": "X",
                                                     "cost": 1, "timestamp": stamp})
    assert response.status_code == HTTPStatus.OK, response.json()
    assert CostOperation.objects.get().timestamp == dt.datetime.fromisoformat(stamp)


@pytest.mark.parametrize("route", ["breakdowns", "spend"])
@pytest.mark.parametrize(("date_from", "date_to", "field"), [
    ("0001-01-02", "0001-01-03", "from"), ("0001-01-01", None, "from"), (None, "0001-01-01", "to"),
    ("9999-12-30", "9999-12-31", "from"), (None, "9999-12-31", "to"), ("1899-12-31", "1900-01-02", "from"),
])
def test_a_report_range_outside_the_supported_dates_is_a_422_naming_the_field(owner_api, route, date_from, date_to,
                                                                              field):
    params = {k: v for k, v in {"from": date_from, "to": date_to}.items() if v}
    response = owner_api.get(f"{BASE}/{route}", params)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("route", ["breakdowns", "spend"])
def test_a_report_range_at_the_start_of_the_supported_dates_compares_with_the_days_before(owner_api, route):
    response = owner_api.get(f"{BASE}/{route}", {"from": "1900-01-01", "to": "1900-01-03"})
    assert response.status_code == HTTPStatus.OK


def test_the_spend_section_of_the_page_refuses_a_range_outside_the_supported_dates(owner):
    client = Client()
    client.force_login(owner)
    response = client.get("/costs/insights/", {"date_from": "0001-01-02", "date_to": "0001-01-03"})
    assert response.status_code == HTTPStatus.OK
    assert "must be between 1900-01-01 and 9000-12-31" in response.content.decode()


@pytest.mark.parametrize("bound", ["from", "to"])
@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_an_export_range_outside_the_supported_dates_is_a_422_and_queues_nothing(owner_api, bound, stamp):
    response = owner_api.post(f"{BASE}/export/all?" + urlencode({"format": "csv", bound: stamp}))
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == bound
    assert not ExportJob.objects.exists()


@time_machine.travel(dt.datetime(2026, 11, 11, 12, tzinfo=dt.UTC), tick=False)
def test_a_pace_too_slow_to_ever_reach_the_budget_has_no_budget_date(owner_api):
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("99999999")})
    ledger.operations_record(operations=[{"idempotency_key": "tiny", "stage": "TTS", "provider": "X",
                                            "cost": Decimal("0.000001")}])
    forecast = owner_api.get(f"{BASE}/forecast")
    assert forecast.status_code == HTTPStatus.OK
    assert forecast.json()["overall"]["budgetReachedAt"] is None
    assert owner_api.get(f"{BASE}/current-period").status_code == HTTPStatus.OK


@pytest.mark.parametrize("value", [dt.date(1, 1, 1), dt.date(1899, 12, 31), dt.date(9001, 1, 1),
                                   dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59))),
                                   dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
                                   dt.datetime(1899, 12, 31, 23, 59, 59)])
def test_the_supported_range_refuses_what_lies_outside_it(value):
    assert not supported_dates.is_supported(value)


@pytest.mark.parametrize("value", [dt.date(1900, 1, 1), dt.date(9000, 12, 31), dt.datetime(1900, 1, 1),
                                   dt.datetime(9000, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)])
def test_the_supported_range_holds_its_own_ends(value):
    assert supported_dates.is_supported(value)


def test_every_computation_on_a_supported_date_stays_within_what_python_can_represent(settings):
    """The widest moves the app makes: a time-zone day, the next month, a report's previous range."""
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14
    for day in (supported_dates.EARLIEST, supported_dates.LATEST):
        for period in ("Monthly", "Weekly"):
            for moment in (dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC),
                           dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)):
                period_window(CostConfiguration(period_type=period), moment)
    from costs.analytics import MAX_RANGE_DAYS, Range
    assert Range(supported_dates.EARLIEST, supported_dates.EARLIEST + dt.timedelta(days=MAX_RANGE_DAYS - 1)
                 ).previous().start.year > dt.MINYEAR


def test_admin_refuses_a_custom_period_outside_the_supported_dates(owner):
    config = configuration.configuration_get()
    client = Client()
    client.force_login(owner)
    url = f"/admin/costs/costconfiguration/{config.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data |= {"period_type": "Custom", "custom_start": "0001-01-01", "custom_end": "2026-12-31",
             "alert_thresholds": json.dumps(config.alert_thresholds), "provider_budgets": "{}",
             "updated_at_0": "2026-11-01", "updated_at_1": "00:00:00"}
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.OK
    assert "must be between 1900-01-01 and 9000-12-31" in response.content.decode()
    assert configuration.configuration_get().period_type == "Monthly"


@pytest.mark.parametrize("number", [0, 1.2455549623842646e-197, 1700000000])
def test_a_number_where_a_date_is_due_is_a_422_not_a_moment_in_1970(owner_api, number):
    """pydantic would read a number as seconds since 1970 and save a period nobody asked for."""
    before = configuration.configuration_get()
    response = owner_api.put(f"{BASE}/configuration", {"customStart": number})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "customStart" in [e["field"] for e in response.json()["errors"]]
    assert CostConfiguration.objects.get().custom_start == before.custom_start
    response = owner_api.post(f"{BASE}/operations", {"idempotencyKey": "n", "stage": "TTS", "provider": "X",
                                                     "cost": 1, "timestamp": number})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "timestamp" in [e["field"] for e in response.json()["errors"]]
