"""The Celery task that executes a run (thin: it takes the id and calls the service)."""

from __future__ import annotations

from celery import shared_task

from .execution import run_execute


@shared_task(name="models_selection.run_execute", acks_late=True, reject_on_worker_lost=True)
def run_execute_task(job_id: str) -> str:
    """Execute the run; redelivered after a lost worker, it resumes without counting a call twice."""
    return run_execute(job_id=job_id).status
