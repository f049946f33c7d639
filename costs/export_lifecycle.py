"""The life of an export task: PENDING → STARTED → SUCCESS or FAILURE, and never STARTED forever.

- The task claims its row (PENDING → STARTED, `attempts` + 1) under a row lock, so a duplicate
  message finds the row taken or finished and does nothing: running twice is harmless.
- While the rows are written, a heartbeat thread stamps `heartbeat_at`. A worker that dies stops
  stamping; the sweeper (`exports_sweep`, run by celery beat and `manage.py sweep_tasks`) puts a
  silent row back to PENDING and sends it again, or marks it FAILURE with the reason after
  AURA_TASK_MAX_ATTEMPTS attempts. A message given back by a killed pool child (same task id) takes
  its row over at once.
- Rows go to `<id>.<format>.<attempt>.part` and the finished file is renamed into place atomically,
  so a partial file is never at the download path; only SUCCESS rows are downloadable.
- The sweeper also deletes finished exports after AURA_EXPORT_RETENTION_HOURS and stray files.

The rows themselves are written by one function, `exports.write_rows(export, path) -> rows`.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aura_site.broker import enqueue
from aura_site.errors import ServiceUnavailable
from aura_site.heartbeat import heartbeat

from .exports import WRITE_EXPORT, write_rows
from .models import ExportJob

logger = logging.getLogger(__name__)
State = ExportJob.State
# A PENDING export whose message never reached a worker is sent again after this long.
PENDING_RESEND_AFTER = timedelta(minutes=10)
# …and given up on after this long.
PENDING_GIVE_UP_AFTER = timedelta(hours=6)


def _stale_before(now):
    return now - timedelta(seconds=settings.AURA_TASK_STALE_AFTER)


def partial_path(export: ExportJob) -> Path:
    return export.path.with_name(f"{export.path.name}.{export.attempts}.part")


@transaction.atomic
def _claim(*, export_id: str, task_id: str) -> ExportJob | None:
    """Take the export for this task, or None when it is finished or a live worker has it."""
    now = timezone.now()
    export = ExportJob.objects.select_for_update().filter(pk=export_id).first()
    if export is None or export.state in {State.SUCCESS, State.FAILURE}:
        return None
    if export.state == State.STARTED:
        redelivered = bool(task_id) and export.task_id == task_id  # our earlier run's worker died
        alive = export.heartbeat_at is not None and export.heartbeat_at > _stale_before(now)
        if alive and not redelivered:
            return None
    if export.attempts >= settings.AURA_TASK_MAX_ATTEMPTS:
        _fail(export, f"The worker stopped while writing this export {export.attempts} times; gave up.")
        return None
    export.state, export.task_id, export.started_at, export.heartbeat_at = State.STARTED, task_id, now, now
    export.attempts += 1
    export.save(update_fields=["state", "task_id", "started_at", "heartbeat_at", "attempts"])
    return export


def _fail(export: ExportJob, reason: str) -> None:
    """Mark the export failed, unless another attempt already finished it."""
    ExportJob.objects.filter(pk=export.pk).exclude(state=State.SUCCESS).update(
        state=State.FAILURE, error=reason[:500], finished_at=timezone.now())


def export_run(*, export_id: str, task_id: str = "") -> ExportJob | None:
    """Write one export if it is this task's to write; returns the row as it ends (None: no such export)."""
    export = _claim(export_id=export_id, task_id=task_id)
    if export is None:
        return ExportJob.objects.filter(pk=export_id).first()
    export.path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(export)
    try:
        with heartbeat(ExportJob, export.pk, every=settings.AURA_TASK_HEARTBEAT_SECONDS):
            rows = write_rows(export, partial)
            with open(partial, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(partial, export.path)
    except SoftTimeLimitExceeded:
        partial.unlink(missing_ok=True)
        _fail(export, f"The export took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped.")
        return ExportJob.objects.get(pk=export.pk)
    except Exception as error:  # recorded for the user; the worker's log has the traceback
        partial.unlink(missing_ok=True)
        _fail(export, str(error) or type(error).__name__)
        raise
    now = timezone.now()
    ExportJob.objects.filter(pk=export.pk).update(state=State.SUCCESS, rows=rows, error="", finished_at=now,
                                                  heartbeat_at=now)
    for leftover in export.path.parent.glob(f"{export.path.name}.*.part"):
        leftover.unlink(missing_ok=True)  # an earlier attempt's, cut short when its worker died
    return ExportJob.objects.get(pk=export.pk)


def exports_sweep(*, now=None) -> dict[str, int]:
    """Retry or fail exports whose worker died, resend lost ones, delete expired and stray files."""
    now = now or timezone.now()
    counts = {"retried": 0, "failed": 0, "expired": 0, "files_removed": 0}
    resend: list[str] = []
    with transaction.atomic():
        silent = ExportJob.objects.select_for_update(skip_locked=True).filter(
            state=State.STARTED, heartbeat_at__lt=_stale_before(now))
        for export in silent:
            since = timezone.localtime(export.heartbeat_at).isoformat(timespec="seconds")
            if export.attempts >= settings.AURA_TASK_MAX_ATTEMPTS:
                _fail(export, f"The worker stopped while writing this export (no sign of life since {since}); "
                              f"gave up after {export.attempts} attempts.")
                counts["failed"] += 1
            else:
                ExportJob.objects.filter(pk=export.pk).update(state=State.PENDING, task_id="")
                resend.append(str(export.pk))
                counts["retried"] += 1
        lost = ExportJob.objects.select_for_update(skip_locked=True).filter(
            state=State.PENDING, created_at__lt=now - PENDING_RESEND_AFTER)
        for export in lost:
            if export.created_at < now - PENDING_GIVE_UP_AFTER:
                _fail(export, "No worker picked this export up; start it again.")
                counts["failed"] += 1
            else:
                resend.append(str(export.pk))
    for export_id in resend:
        try:
            enqueue(WRITE_EXPORT, export_id)
        except ServiceUnavailable:
            break  # the broker is down: the rows stay PENDING and the next sweep sends them
    retention = timedelta(hours=settings.AURA_EXPORT_RETENTION_HOURS)
    for export in ExportJob.objects.filter(state__in=[State.SUCCESS, State.FAILURE], finished_at__lt=now - retention):
        export.path.unlink(missing_ok=True)
        export.delete()
        counts["expired"] += 1
    counts["files_removed"] = _remove_stray_files(now)
    return counts


def _remove_stray_files(now) -> int:
    """Partial files of exports no live worker is writing, and files whose export row is gone."""
    folder = Path(settings.AURA_EXPORT_DIR)
    if not folder.is_dir():
        return 0
    writing = {
        partial_path(e).name
        for e in ExportJob.objects.filter(state=State.STARTED, heartbeat_at__gte=_stale_before(now))
    }
    known = {f"{e.pk}.{e.format}" for e in ExportJob.objects.filter(state=State.SUCCESS).only("id", "format")}
    cutoff = (now - timedelta(seconds=settings.AURA_TASK_STALE_AFTER)).timestamp()
    removed = 0
    for path in folder.iterdir():
        if not path.is_file() or path.stat().st_mtime > cutoff:
            continue  # a file just being created is nobody's stray yet
        stray = path.name not in writing if path.name.endswith(".part") else path.name not in known
        if stray:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
