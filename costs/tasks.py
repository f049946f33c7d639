"""Celery tasks of the costs app: thin, take ids, call the writer."""

from __future__ import annotations

from celery import shared_task

from .export_lifecycle import export_run


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def write_export(self, export_id: str) -> dict:
    """Write one export file; a duplicate or late message finds the export taken or done and does nothing."""
    export = export_run(export_id=export_id, task_id=self.request.id or "")
    if export is None:
        return {"exportId": export_id, "state": "MISSING", "rows": 0}
    return {"exportId": str(export.id), "state": export.state, "rows": export.rows}
