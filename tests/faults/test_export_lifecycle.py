"""The export state machine and the sweeper, on both legs (tasks in-process on SQLite)."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from costs.export_lifecycle import export_run, partial_path
from costs.models import CostOperation, ExportJob
from models_selection.models import ProbeResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def operations(db):
    for i in range(5):
        CostOperation.objects.create(idempotency_key=f"lc-{i}", job_id="job-lc", stage="script", provider="OpenAI",
                                     model="gpt-4o", cost="0.01", cost_source="reported")


def _stalled_export(*, attempts: int) -> ExportJob:
    """An export a worker started, then died on: STARTED, silent for ten minutes, a partial file left."""
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    export = ExportJob.objects.create(job_id="job-lc", format="csv", state=ExportJob.State.STARTED, attempts=attempts,
                                      task_id="dead-task", started_at=long_ago, heartbeat_at=long_ago)
    export.path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(export)
    partial.write_text("timestamp,jobId\n2026-")
    old = time.time() - 600
    os.utime(partial, (old, old))
    return export


def _sweep() -> str:
    out = StringIO()
    call_command("sweep_tasks", stdout=out)
    return out.getvalue()


def test_an_export_whose_worker_died_is_run_again_by_the_sweeper(operations):
    export = _stalled_export(attempts=1)

    assert json.loads(_sweep())["exports"]["retried"] == 1

    export.refresh_from_db()
    assert (export.state, export.rows, export.attempts) == (ExportJob.State.SUCCESS, 5, 2)
    assert export.path.read_text().count("job-lc") == 5
    assert list(export.path.parent.glob(f"{export.pk}.*.part")) == []


def test_after_the_last_attempt_the_export_fails_with_the_reason(operations, settings):
    export = _stalled_export(attempts=settings.AURA_TASK_MAX_ATTEMPTS)

    _sweep()

    export.refresh_from_db()
    assert export.state == ExportJob.State.FAILURE
    assert "worker stopped" in export.error and "gave up" in export.error
    assert not partial_path(export).exists()  # the stray partial file is removed too


def test_a_live_export_is_left_alone_and_a_duplicate_message_does_nothing(operations):
    now = timezone.now()
    export = ExportJob.objects.create(job_id="job-lc", format="csv", state=ExportJob.State.STARTED, attempts=1,
                                      task_id="live-task", started_at=now, heartbeat_at=now)

    assert json.loads(_sweep())["exports"]["retried"] == 0
    assert export_run(export_id=str(export.pk), task_id="another-task").state == ExportJob.State.STARTED
    assert export_run(export_id=str(export.pk), task_id="live-task").state == ExportJob.State.SUCCESS  # redelivered
    assert export_run(export_id=str(export.pk), task_id="late-copy").attempts == 2  # finished: untouched


def test_expired_exports_and_their_files_are_deleted(operations, settings):
    export = ExportJob.objects.create(job_id="job-lc", format="csv")
    export_run(export_id=str(export.pk))
    assert export.path.exists()

    ExportJob.objects.filter(pk=export.pk).update(
        finished_at=timezone.now() - dt.timedelta(hours=settings.AURA_EXPORT_RETENTION_HOURS + 1))
    _sweep()

    assert not ExportJob.objects.filter(pk=export.pk).exists()
    assert not export.path.exists()


def test_a_probe_whose_worker_died_is_closed_with_a_reason(db):
    probe = ProbeResult.objects.create(provider="OpenAI", model_id="gpt-4o")
    ProbeResult.objects.filter(pk=probe.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    fresh = ProbeResult.objects.create(provider="OpenAI", model_id="gpt-4o")

    _sweep()

    probe.refresh_from_db()
    fresh.refresh_from_db()
    assert probe.status == "done" and "worker stopped" in probe.error_message
    assert fresh.status == "pending"
