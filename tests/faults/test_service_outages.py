"""A broker or database that cannot be reached gives a fast 503, writes nothing, and spares other requests."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import httpx
import pytest

from aura_site.models import ApiToken
from costs.models import CostOperation, ExportJob
from models_selection.models import ProbeResult

from .conftest import closed_port

# Slow: each test starts gunicorn (in the `servers` group of tests/conftest.py: one server at a time).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _timed(method: str, url: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = httpx.request(method, url, timeout=30, **kwargs)
    return response, time.monotonic() - started


def test_with_the_broker_unreachable_export_and_probe_answer_503_fast_and_leave_no_rows(server_process, owner):
    CostOperation.objects.create(idempotency_key="k1", job_id="job-b", stage="script", provider="OpenAI",
                                 model="gpt-4o", cost="0.01", cost_source="reported")
    raw = ApiToken.issue(user=owner, name="outage")[1]
    headers = {"Authorization": f"Bearer {raw}"}
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    url = server_process(CELERY_BROKER_URL=dead, CELERY_RESULT_BACKEND=dead)

    with ThreadPoolExecutor(max_workers=4) as pool:
        exports = [pool.submit(_timed, "POST", f"{url}/api/cost-tracking/export/job-b", headers=headers)
                   for _ in range(3)]
        time.sleep(0.05)  # the exports are in flight while the signed-in read arrives
        me, me_seconds = _timed("GET", f"{url}/api/me", headers=headers)
        exports = [future.result() for future in exports]
    probe, probe_seconds = _timed("POST", f"{url}/api/models/test", headers=headers,
                                  json={"provider": "OpenAI", "modelId": "gpt-4o"})

    for response, seconds in [*exports, (probe, probe_seconds)]:
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert seconds < 3
        body = response.json()
        assert "task queue is unreachable" in body["detail"] and body["errors"] == []
    assert me.status_code == 200 and me_seconds < 1
    assert ExportJob.objects.count() == 0
    assert ProbeResult.objects.count() == 0


def test_with_the_database_unreachable_the_api_and_pages_answer_503_and_liveness_stays_up(server_process):
    url = server_process(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/aura_gone",
                         CELERY_BROKER_URL="", CELERY_RESULT_BACKEND="")

    assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["database"] == "unavailable"
    api, seconds = _timed("GET", f"{url}/api/me", headers={"Authorization": "Bearer aura_anything"})
    assert api.status_code == 503 and seconds < 3
    assert api.json() == {"detail": "The database is unavailable; try again shortly.", "errors": []}
    page = httpx.get(f"{url}/costs/", cookies={"sessionid": "a-session-the-database-would-know"})
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html") and "Service unavailable" in page.text


def test_readiness_passes_when_everything_is_up(celery_worker_process, client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert set(response.json()["checks"].values()) == {"ok"}
    assert "no-cache" in response["Cache-Control"]
