"""The life of a run's task: Queued → Running → an end, and never Queued or Running forever.

- Starting sends the run to the workers once its transaction commits. When the broker or the result
  store cannot be reached, the start is undone (the run is Planned again and its hold released) and
  the caller gets a 503 within seconds; starting it again places its hold again.
- Every hand-over to the workers counts as an attempt: the start, each re-send by the sweeper, and a
  message the broker gives back after its worker was lost.
- A worker claims the run under a row lock, so a duplicate message finds it taken by a live worker or
  finished and does nothing. While it runs, a heartbeat thread stamps `heartbeat_at`.
- The sweeper (`runs_sweep`, run by celery beat and `manage.py sweep_tasks`) sends a run again when it
  went silent: Running without a stamp for AURA_TASK_STALE_AFTER seconds, or Queued for
  QUEUED_RESEND_AFTER without a worker taking it. After AURA_TASK_MAX_ATTEMPTS attempts it ends the
  run Failed with the reason, the stage in flight Failed, and the hold settled to what was spent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from aura_site.broker import enqueue
from aura_site.errors import Conflict, NotFound, ServiceUnavailable
from aura_site.heartbeat import heartbeat

from . import integrations
from .ending import run_give_up
from .execution import run_execute
from .models import Job, JobStatus, StageRun

logger = logging.getLogger(__name__)
# A queued run no worker took in this long is sent again (its message may have been lost); longer than
# the stale heartbeat, because a queue can simply be busy.
QUEUED_RESEND_AFTER = timedelta(minutes=10)


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.AURA_TASK_STALE_AFTER)


# --- starting ---------------------------------------------------------------------------------------


@transaction.atomic
def run_start(*, job_id: str, user=None, enqueue: bool = True) -> Job:
    """Queue a planned run for execution (the task is sent when this transaction commits).

    `enqueue=False` only marks it queued, for a caller that runs it itself (the CLI). A broker that
    cannot be reached undoes the start and raises ServiceUnavailable (see runs.lifecycle).
    """
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"No job {job_id}.")
    if job.status == JobStatus.BLOCKED:
        raise Conflict(f"Job {job.id} is blocked: take one of the options first (POST /api/jobs/{job.id}/decision).")
    if job.status != JobStatus.PLANNED:
        raise Conflict(f"Job {job.id} is {job.status}; only a planned run can be started.")
    if integrations.cost_hold(job_id=job.id) is None:
        integrations.cost_hold_place(job=job)  # its earlier start could not reach the workers (or nothing was priced)
    job.status, job.attempts, job.task_id, job.heartbeat_at = JobStatus.QUEUED, 1, "", timezone.now()
    job.save(update_fields=["status", "attempts", "task_id", "heartbeat_at", "updated_at"])
    if enqueue:
        transaction.on_commit(lambda: run_start_send(job_id=job.id))
    return job


# --- sending --------------------------------------------------------------------------------------------


def run_send(*, job_id: str, undo: Callable[[], object] | None = None) -> None:
    """Hand the run to the workers (503 within seconds when the broker is down, after `undo`)."""
    enqueue("models_selection.run_execute", job_id, undo=undo)


def run_start_send(*, job_id: str) -> None:
    """Send a run just queued by `run_start`; when the broker is down, the start is undone and it is a 503."""
    try:
        run_send(job_id=job_id, undo=lambda: run_unqueue(job_id=job_id))
    except ServiceUnavailable as error:
        raise ServiceUnavailable(
            f"The task queue is unreachable, so run {job_id} was not started: it is Planned again and its "
            "budget hold was released. Start it again shortly."
        ) from error


@transaction.atomic
def run_unqueue(*, job_id: str) -> None:
    """Undo a start whose message never left: back to Planned, nothing held, no attempt made."""
    job = Job.objects.select_for_update().filter(pk=job_id, status=JobStatus.QUEUED).first()
    if job is None:
        return  # a worker has it after all, or it ended
    job.status, job.attempts, job.task_id, job.heartbeat_at = JobStatus.PLANNED, 0, "", None
    job.save(update_fields=["status", "attempts", "task_id", "heartbeat_at", "updated_at"])
    integrations.cost_hold_release(job=job)


# --- on the worker --------------------------------------------------------------------------------------


@transaction.atomic
def run_claim(*, job_id: str, task_id: str = "") -> bool:
    """Take the run for this task: False when it is finished, not started, or a live worker has it."""
    now = timezone.now()
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return False
    if job.status == JobStatus.RUNNING:
        redelivered = bool(task_id) and job.task_id == task_id  # our earlier delivery's worker was lost
        alive = job.heartbeat_at is not None and job.heartbeat_at > _stale_before(now)
        if alive and not redelivered:
            return False
        if redelivered:
            job.attempts += 1
            if job.attempts > settings.AURA_TASK_MAX_ATTEMPTS:
                run_give_up(job=job, reason=f"The worker stopped while running this run {job.attempts - 1} "
                                            "times; gave up.")
                return False
    job.status, job.task_id, job.heartbeat_at = JobStatus.RUNNING, task_id, now
    job.started_at = job.started_at or now
    job.save(update_fields=["status", "task_id", "heartbeat_at", "started_at", "attempts", "updated_at"])
    return True


def run_work(*, job_id: str, task_id: str = "", on_stage: Callable[[StageRun], None] | None = None) -> Job:
    """Execute the run if it is this task's (or this process's) to run, stamping it while it runs."""
    if not run_claim(job_id=job_id, task_id=task_id):
        return Job.objects.get(pk=job_id)
    with heartbeat(Job, job_id, every=settings.AURA_TASK_HEARTBEAT_SECONDS):
        return run_execute(job_id=job_id, on_stage=on_stage)


# --- the sweeper ----------------------------------------------------------------------------------------


def runs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Send again the runs whose worker went silent, or end them Failed after the last attempt."""
    now = now or timezone.now()
    counts = {"retried": 0, "failed": 0}
    resend: list[tuple[str, str, datetime | None]] = []  # each run sent again, as it was before
    silent = (Q(status=JobStatus.RUNNING) & (Q(heartbeat_at__lt=_stale_before(now)) | Q(heartbeat_at__isnull=True))
              | Q(status=JobStatus.QUEUED) & (Q(heartbeat_at__lt=now - QUEUED_RESEND_AFTER)
                                              | Q(heartbeat_at__isnull=True)))
    with transaction.atomic():
        for job in Job.objects.select_for_update(skip_locked=True).filter(silent):
            since = timezone.localtime(job.heartbeat_at or job.updated_at).isoformat(timespec="seconds")
            if job.attempts >= settings.AURA_TASK_MAX_ATTEMPTS:
                waiting = ("no worker took it" if job.status == JobStatus.QUEUED
                           else "its worker stopped answering")
                run_give_up(job=job, reason=f"The run was stopped: {waiting} (no sign of life since {since}) "
                                            f"after {job.attempts} attempts.")
                counts["failed"] += 1
            else:
                resend.append((job.pk, job.status, job.heartbeat_at))
                job.status, job.task_id, job.heartbeat_at = JobStatus.QUEUED, "", now
                job.attempts += 1
                job.save(update_fields=["status", "task_id", "heartbeat_at", "attempts", "updated_at"])
                counts["retried"] += 1
    for position, (job_id, _, _) in enumerate(resend):
        try:
            run_send(job_id=job_id)
        except ServiceUnavailable:
            # The broker is down: what was not sent is no attempt, and still silent for the next sweep.
            for unsent, status, last_seen in resend[position:]:
                Job.objects.filter(pk=unsent).update(status=status, attempts=F("attempts") - 1, heartbeat_at=last_seen)
            counts["retried"] -= len(resend) - position
            break
    return counts
