"""Budget period edges (frozen clock) and exports written by a Celery worker."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine

from costs.models import CostConfiguration, CostOperation
from costs.periods import period_window

BASE = "/api/cost-tracking"
UTC = dt.UTC


def _config(**fields) -> CostConfiguration:
    return CostConfiguration(**fields)


@pytest.mark.parametrize(("at", "start", "end"), [
    (dt.datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC), dt.datetime(2026, 11, 1, tzinfo=UTC),
     dt.datetime(2026, 12, 1, tzinfo=UTC)),
    (dt.datetime(2026, 12, 1, 0, 0, 0, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC),
     dt.datetime(2027, 1, 1, tzinfo=UTC)),
    (dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC),
     dt.datetime(2027, 1, 1, tzinfo=UTC)),
])
def test_monthly_periods_start_on_the_first(at, start, end, settings):
    settings.TIME_ZONE = "UTC"
    assert period_window(_config(period_type="Monthly"), at) == (start, end)


def test_weekly_periods_start_on_sunday(settings):
    settings.TIME_ZONE = "UTC"
    saturday_night = dt.datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)  # a Saturday
    sunday = dt.datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    assert period_window(_config(period_type="Weekly"), saturday_night)[0] == dt.datetime(2026, 11, 22, tzinfo=UTC)
    assert period_window(_config(period_type="Weekly"), sunday) == (sunday, sunday + dt.timedelta(days=7))


def test_custom_periods_count_their_last_day_in_full(settings):
    settings.TIME_ZONE = "UTC"
    config = _config(period_type="Custom", custom_start=dt.date(2026, 11, 3), custom_end=dt.date(2026, 11, 17))
    assert period_window(config, dt.datetime(2026, 11, 17, 23, 59, 59, tzinfo=UTC)) is not None
    assert period_window(config, dt.datetime(2026, 11, 18, 0, 0, tzinfo=UTC)) is None
    assert period_window(config, dt.datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC)) is None
    assert period_window(config, dt.datetime(2026, 11, 3, tzinfo=UTC))[0] == dt.datetime(2026, 11, 3, tzinfo=UTC)


def test_periods_follow_the_configured_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    zone = ZoneInfo("America/New_York")
    # 03:00 UTC on Dec 1 is still Nov 30 in New York.
    start, end = period_window(_config(period_type="Monthly"), dt.datetime(2026, 12, 1, 3, tzinfo=UTC))
    assert (start, end) == (dt.datetime(2026, 11, 1, tzinfo=zone), dt.datetime(2026, 12, 1, tzinfo=zone))


@pytest.mark.django_db
def test_a_new_month_starts_from_zero_without_deleting_anything(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 100})
    with time_machine.travel(dt.datetime(2026, 11, 30, 23, 59, tzinfo=UTC), tick=False):
        owner_api.post(f"{BASE}/operations", {"idempotencyKey": "nov", "stage": "TTS", "provider": "X", "cost": 30})
        assert owner_api.get(f"{BASE}/current-period").json()["totalCost"] == 30.0
    with time_machine.travel(dt.datetime(2026, 12, 1, 0, 0, tzinfo=UTC), tick=False):
        assert owner_api.get(f"{BASE}/current-period").json()["totalCost"] == 0.0
    assert CostOperation.objects.count() == 1


def _wait_for_export(api, task_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = api.get(f"{BASE}/exports/{task_id}").json()
        if status["state"] in {"SUCCESS", "FAILURE"}:
            return status
        time.sleep(0.2)
    raise AssertionError("export did not finish")


def _seed(api, job="job-x", n=25) -> None:
    ops = [{"idempotencyKey": f"{job}-{i}", "jobId": job, "stage": "TTS" if i % 2 else "ScriptGeneration",
            "provider": "ElevenLabs" if i % 2 else "OpenAI", "cost": round(0.01 * (i + 1), 2),
            "inputTokens": 100 * i} for i in range(n)]
    assert api.post(f"{BASE}/operations", {"operations": ops}).status_code == 200


@pytest.mark.celery_worker
def test_a_csv_export_runs_in_a_worker_and_matches_the_ledger(celery_worker_process, owner_api, viewer_api,
                                                              anon_api):
    _seed(owner_api)
    response = owner_api.post(f"{BASE}/export/job-x?format=csv")
    assert response.status_code == HTTPStatus.ACCEPTED
    status = _wait_for_export(owner_api, response.json()["taskId"])
    assert status["state"] == "SUCCESS" and status["rows"] == 25
    assert anon_api.get(status["downloadUrl"]).status_code == HTTPStatus.UNAUTHORIZED
    download = viewer_api.get(status["downloadUrl"])
    assert download.status_code == HTTPStatus.OK
    text = b"".join(download.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:26]
    assert header[:6] == ["timestamp", "jobId", "projectId", "stage", "provider", "model"]
    ledger = {o.idempotency_key: o for o in CostOperation.objects.filter(job_id="job-x")}
    for row in body:
        record = dict(zip(header, row, strict=True))
        assert float(record["cost"]) == float(ledger[record["idempotencyKey"]].cost)
    totals = next(r for r in rows if r and r[0] == "totals")
    assert float(totals[4]) == float(sum(o.cost for o in ledger.values()))


@pytest.mark.django_db(transaction=True)  # the task is queued on commit
def test_a_json_export_holds_operations_totals_and_suggestions(owner_api):
    _seed(owner_api, n=4)
    task = owner_api.post(f"{BASE}/export/job-x?format=json").json()["taskId"]
    status = _wait_for_export(owner_api, task)
    document = json.loads(b"".join(owner_api.get(status["downloadUrl"]).streaming_content))
    assert len(document["operations"]) == 4 and document["totals"]["operations"] == 4
    assert "optimizationSuggestions" in document


@pytest.mark.django_db
def test_exports_refuse_unknown_jobs_and_formats(owner_api):
    assert owner_api.post(f"{BASE}/export/nope?format=csv").status_code == HTTPStatus.NOT_FOUND
    _seed(owner_api, n=1)
    assert owner_api.post(f"{BASE}/export/job-x?format=xml").status_code == HTTPStatus.UNPROCESSABLE_ENTITY


@pytest.mark.django_db(transaction=True)  # the task is queued on commit
def test_exporting_all_jobs_between_dates(owner_api):
    _seed(owner_api, job="a", n=3)
    _seed(owner_api, job="b", n=2)
    task = owner_api.post(f"{BASE}/export/all?format=csv&from=2000-01-01T00:00:00Z").json()["taskId"]
    assert _wait_for_export(owner_api, task)["rows"] == 5
