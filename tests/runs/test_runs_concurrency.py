"""Runs under real concurrency: two runs racing for a tight hard budget (PostgreSQL), a real worker."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from costs.configuration import configuration_update
from costs.models import BudgetTotal, CostOperation
from models_selection.runs.execution import run_execute
from models_selection.runs.lifecycle import run_start
from models_selection.runs.models import Job, StageRun
from preferences.kinds import KINDS_BY_KEY
from preferences.services import preference_create

BRIEF = "Why leaves change colour in autumn"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="row locks under real concurrency need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_racing_for_a_tight_hard_budget_never_overspend_nor_send_an_unpaid_call(run_world, owner_api):
    # A long script: its worst case is larger than each run's hold, so each run must grow its hold first.
    long_script = preference_create(kind=KINDS_BY_KEY["aiBehaviorSettings"], data={
        "name": "Long script", "stage": "script", "max_tokens": 20000})
    body = {"brief": BRIEF, "aiBehaviorIds": {"script": str(long_script.pk)},
            "modelOverrides": {"script": {"provider": "OpenAI", "modelId": "fake-gpt-verbose"}}}
    job_ids = [owner_api.post("/api/jobs", body).json()["jobId"] for _ in range(2)]
    for job_id in job_ids:
        run_start(job_id=job_id, enqueue=False)
    overall = BudgetTotal.objects.get(scope="overall", key="")
    # Room for one run's growth (about 0.08) but not for two.
    budget = overall.spent + overall.held + Decimal("0.12")
    configuration_update(data={"overall_monthly_budget": budget, "hard_budget_limit": True})
    barrier = threading.Barrier(2)

    def execute(job_id: str) -> str:
        barrier.wait()
        try:
            return run_execute(job_id=job_id).status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(execute, job_ids))

    assert sorted(statuses) == ["Failed", "Succeeded"]
    spent = sum(o.cost for o in CostOperation.objects.all())
    overall.refresh_from_db()
    assert spent == overall.spent <= budget and overall.held == 0
    script_calls = [r for r in run_world.completions() if r["body"]["model"] == "fake-gpt-verbose"]
    assert len(script_calls) == 1  # only one run's growth fitted
    assert len(run_world.completions()) == CostOperation.objects.count()  # every call sent was paid for
    refused = StageRun.objects.get(status="Refused")
    assert (refused.stage, refused.http_status, refused.output) == ("script", 402, "")


@pytest.mark.celery_worker
def test_a_run_started_through_the_api_runs_in_a_real_worker(celery_worker_process, run_world, django_user_model):
    from tests.conftest import ApiClient, _token_for

    owner = django_user_model.objects.create_superuser("run-owner", "r@example.com", "pw-123456789")
    api = ApiClient(_token_for(owner))

    response = api.post("/api/jobs", {"brief": BRIEF})
    job_id = response.json()["jobId"]
    started = api.post(f"/api/jobs/{job_id}/start")
    assert started.status_code == 202
    deadline = time.monotonic() + 90
    while Job.objects.get(pk=job_id).status in ("Queued", "Running") and time.monotonic() < deadline:
        time.sleep(0.3)

    assert Job.objects.get(pk=job_id).status == "Succeeded"
    assert api.post(f"/api/jobs/{job_id}/start").status_code == 409  # a finished run is not started twice
    assert CostOperation.objects.filter(job_id=job_id).count() == 5
    assert api.get(f"/api/jobs/{job_id}/artifacts").json()["visualPrompts"][0]["scene"] == 1
