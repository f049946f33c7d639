"""The Celery task that executes a run (thin: it takes the id and calls the service)."""

from __future__ import annotations

from celery import shared_task

from .lifecycle import run_work


@shared_task(name="models_selection.run_execute", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_execute_task(self, job_id: str) -> str:
    """Execute the run; redelivered after a lost worker, it resumes without counting a call twice."""
    return run_work(job_id=job_id, task_id=self.request.id or "").status
