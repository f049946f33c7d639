"""Starting a run while the broker is unreachable: a fast 503, the run Planned again, its hold released.

A gunicorn server runs with CELERY_BROKER_URL and CELERY_RESULT_BACKEND on a closed port; the test reads
the database it shares with that server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from decimal import Decimal
from http import HTTPStatus

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from aura_site.models import ApiToken
from costs.models import BudgetTotal, CostOperation, Hold
from models_selection.runs.lifecycle import QUEUED_RESEND_AFTER, run_start
from models_selection.runs.models import Job, StageRun
from tests.conftest import ROOT
from tests.runs.conftest import configure_run_world

from .conftest import closed_port
from .conftest import test_database_url as database_url_of_the_tests

# Slow: each test starts gunicorn (in the `servers` group of tests/conftest.py: one server at a time).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
BRIEF = "How bees find their way home"
FAST_SECONDS = 3  # the broker's connect timeout is 2 s; a closed port refuses at once


@pytest.fixture(autouse=True)
def _no_provider_settings_in_environment(monkeypatch):
    for name in ("OPENAI", "ANTHROPIC", "GEMINI", "OLLAMA"):
        monkeypatch.delenv(f"AURA_{name}_API_KEY", raising=False)
        monkeypatch.delenv(f"AURA_{name}_BASE_URL", raising=False)


@pytest.fixture
def broker_down_server(server_process, fake_provider) -> str:
    configure_run_world(fake_provider)
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    return server_process(CELERY_BROKER_URL=dead, CELERY_RESULT_BACKEND=dead)


@pytest.fixture
def headers(owner) -> dict[str, str]:
    return {"Authorization": f"Bearer {ApiToken.issue(user=owner, name='outage')[1]}"}


def _timed(method: str, url: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.request(method, url, timeout=30, **kwargs)
    return response, time.monotonic() - started


def _held() -> Decimal:
    return BudgetTotal.objects.get(scope="overall", key="").held


def _assert_planned_and_released(job_id: str) -> None:
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.heartbeat_at) == ("Planned", 0, None)
    hold = Hold.objects.get(job_id=job_id)
    assert hold.released_at is not None and hold.remaining == Decimal("0")
    assert _held() == Decimal("0")
    assert BudgetTotal.objects.get(scope="overall", key="").spent == Decimal("0")
    assert not StageRun.objects.filter(job=job).exists() and not CostOperation.objects.exists()


def _assert_fast_503(response: httpx.Response, seconds: float, job_id: str) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE, response.text
    assert seconds < FAST_SECONDS
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["errors"] == []
    assert "task queue is unreachable" in body["detail"] and job_id in body["detail"]
    assert "Planned again" in body["detail"]


def test_create_with_start_answers_503_fast_and_leaves_the_run_planned_holding_nothing(broker_down_server, headers):
    response, seconds = _timed("POST", f"{broker_down_server}/api/jobs", headers=headers,
                               json={"brief": BRIEF, "start": True})

    job = Job.objects.get()
    _assert_fast_503(response, seconds, job.id)
    _assert_planned_and_released(job.id)


def test_start_answers_503_fast_and_gives_the_hold_back_to_the_cent(broker_down_server, headers):
    planned = httpx.post(f"{broker_down_server}/api/jobs", headers=headers, json={"brief": BRIEF}, timeout=30)
    assert planned.status_code == HTTPStatus.CREATED, planned.text
    job_id = planned.json()["jobId"]
    hold = Hold.objects.get(job_id=job_id)
    assert hold.amount > 0 and _held() == hold.amount

    response, seconds = _timed("POST", f"{broker_down_server}/api/jobs/{job_id}/start", headers=headers)

    _assert_fast_503(response, seconds, job_id)
    _assert_planned_and_released(job_id)
    assert Hold.objects.get(job_id=job_id).amount == hold.amount  # the record of what was held stays


def test_a_run_whose_start_failed_holds_again_and_runs_when_started_later(broker_down_server, headers, owner_api):
    job_id = httpx.post(f"{broker_down_server}/api/jobs", headers=headers, json={"brief": BRIEF},
                        timeout=30).json()["jobId"]
    assert httpx.post(f"{broker_down_server}/api/jobs/{job_id}/start", headers=headers,
                      timeout=30).status_code == HTTPStatus.SERVICE_UNAVAILABLE

    # The broker is back (here: tasks run in this process).
    started = owner_api.post(f"/api/jobs/{job_id}/start")

    assert started.status_code == HTTPStatus.ACCEPTED, started.json()
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts) == ("Succeeded", 1)
    spent = sum(o.cost for o in CostOperation.objects.filter(job_id=job_id))
    assert job.outcome["settlement"]["used"] == float(spent) and spent > 0
    overall = BudgetTotal.objects.get(scope="overall", key="")
    assert (overall.spent, overall.held) == (spent, Decimal("0"))


def test_the_start_button_shows_the_outage_and_leaves_the_run_planned(broker_down_server, headers, owner):
    job_id = httpx.post(f"{broker_down_server}/api/jobs", headers=headers, json={"brief": BRIEF},
                        timeout=30).json()["jobId"]
    signed_in = Client()
    signed_in.force_login(owner)
    browser = httpx.Client(base_url=broker_down_server, timeout=30,
                           cookies={"sessionid": signed_in.cookies["sessionid"].value})
    page = browser.get(f"/models/jobs/{job_id}/")
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)

    started = time.monotonic()
    response = browser.post(f"/models/jobs/{job_id}/start/", headers={"X-CSRFToken": token})
    seconds = time.monotonic() - started

    assert response.status_code == HTTPStatus.FOUND and seconds < FAST_SECONDS
    shown = browser.get(response.headers["location"]).text
    assert "task queue is unreachable" in shown and "The run has started" not in shown
    _assert_planned_and_released(job_id)


def test_the_sweeper_with_the_broker_down_sends_nothing_and_counts_no_attempt(fake_provider, owner_api):
    configure_run_world(fake_provider)
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    run_start(job_id=job_id, enqueue=False)
    lost_since = timezone.now() - QUEUED_RESEND_AFTER - dt.timedelta(minutes=1)
    Job.objects.filter(pk=job_id).update(heartbeat_at=lost_since)
    dead = f"redis://127.0.0.1:{closed_port()}/0"

    swept = subprocess.run(
        [sys.executable, "manage.py", "sweep_tasks"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DATABASE_URL": database_url_of_the_tests(), "CELERY_BROKER_URL": dead,
             "CELERY_RESULT_BACKEND": dead})

    assert swept.returncode == 0, swept.stderr
    assert json.loads(swept.stdout)["runs"] == {"retried": 0, "failed": 0}
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts, job.heartbeat_at) == ("Queued", 1, lost_since)  # the next sweep sends it
    assert Hold.objects.get(job_id=job_id).released_at is None
