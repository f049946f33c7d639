"""Killing the worker mid-export never leaves an export STARTED or a partial file downloadable.

PostgreSQL + Redis leg only: the worker is a real prefork `celery worker` process that the test kills.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from aura_site.celery import app as celery_app
from costs import exports
from costs.export_lifecycle import exports_sweep
from costs.models import ExportJob
from tests.conftest import ROOT, ApiClient, _database_url_for_worker, _token_for, log_file

# Slow: real prefork workers and a 150,000-row export (in the `servers` group of tests/conftest.py).
pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True),
              pytest.mark.slow]

ROWS = 150_000
BOUND_SECONDS = 120
HEARTBEAT = "0.5"
STALE_AFTER = "3"


@pytest.fixture(autouse=True)
def _needs_postgres_and_a_broker():
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("needs PostgreSQL (DATABASE_URL) and a broker (CELERY_BROKER_URL)")


@pytest.fixture
def fast_heartbeat(settings):
    settings.AURA_TASK_HEARTBEAT_SECONDS = float(HEARTBEAT)
    settings.AURA_TASK_STALE_AFTER = float(STALE_AFTER)


@pytest.fixture
def start_worker(transactional_db, fast_heartbeat) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start prefork workers (each in its own process group, so the whole worker can be killed)."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    workers: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": _database_url_for_worker(), "AURA_TASK_HEARTBEAT_SECONDS": HEARTBEAT,
               "AURA_TASK_STALE_AFTER": STALE_AFTER}
        log = log_file(f"prefork-worker-{len(workers)}")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "aura_site", "worker", "--pool=prefork", "--concurrency=1",
             "--without-gossip", "--without-mingle", "-n", f"fault{len(workers)}@%h", "-l", "INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        workers.append(worker)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"celery worker exited: see {log.name}")
            if celery_app.control.ping(timeout=0.5):
                return worker
        raise RuntimeError("celery worker did not answer pings within 60 s")

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)


def _seed(rows: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO costs_costoperation (idempotency_key, job_id, project_id, stage, provider, model, "
            "input_tokens, output_tokens, characters, images, seconds, cache_hit, cost, cost_saved, cost_source, "
            "timestamp, recorded_at) SELECT 'op-' || i, 'job-big', '', 'script', 'OpenAI', 'gpt-4o', 100, 50, 0, 0, "
            "0, false, 0.001, 0, 'reported', now(), now() FROM generate_series(1, %s) AS i", [rows])


def _pool_child(worker: subprocess.Popen) -> int:
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    assert children, "the prefork worker has a pool child"
    return int(children[0])


def _wait_until_writing(export: ExportJob) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        export.refresh_from_db()
        parts = list(Path(django_settings.AURA_EXPORT_DIR).glob(f"{export.pk}.*.part"))
        if export.state == ExportJob.State.STARTED and parts and parts[0].stat().st_size > 0:
            return
        time.sleep(0.02)
    raise AssertionError("the export never started writing")


def _wait_for_end(export: ExportJob, api: ApiClient, *, sweep: bool) -> ExportJob:
    """Until SUCCESS or FAILURE; meanwhile nothing is downloadable. `sweep`: run the sweeper as beat would."""
    deadline = time.monotonic() + BOUND_SECONDS
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.state in {ExportJob.State.SUCCESS, ExportJob.State.FAILURE}:
            return export
        download = api.get(f"/api/cost-tracking/exports/{export.pk}/download")
        assert download.status_code == 404, "an unfinished export must not be downloadable"
        if sweep:
            exports_sweep()
        time.sleep(0.5)
    raise AssertionError(f"export still {export.state} after {BOUND_SECONDS} s")


def _assert_complete(export: ExportJob, api: ApiClient) -> None:
    assert export.state == ExportJob.State.SUCCESS, export.error
    assert export.rows == ROWS
    response = api.get(f"/api/cost-tracking/exports/{export.pk}/download")
    lines = [line.lstrip('"') for line in b"".join(response.streaming_content).decode().splitlines()]
    assert lines[0].startswith("timestamp,jobId")
    assert sum(1 for line in lines if line.startswith("20")) == ROWS
    assert lines[-1].startswith("totals") or any(line.startswith("totals") for line in lines[-5:])
    assert list(Path(django_settings.AURA_EXPORT_DIR).glob(f"{export.pk}.*.part")) == []


def test_killing_the_pool_child_mid_export_ends_with_a_complete_file(start_worker, owner):
    _seed(ROWS)
    api = ApiClient(_token_for(owner))
    worker = start_worker()
    export = exports.export_start(job_id="job-big", fmt="csv", user=owner)
    _wait_until_writing(export)

    os.kill(_pool_child(worker), signal.SIGKILL)
    export = _wait_for_end(export, api, sweep=False)

    _assert_complete(export, api)
    assert export.attempts == 2


def test_killing_the_whole_worker_mid_export_is_recovered_by_the_sweeper(start_worker, owner):
    _seed(ROWS)
    api = ApiClient(_token_for(owner))
    worker = start_worker()
    export = exports.export_start(job_id="job-big", fmt="csv", user=owner)
    _wait_until_writing(export)

    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    start_worker()
    export = _wait_for_end(export, api, sweep=True)

    _assert_complete(export, api)
    assert export.attempts == 2
