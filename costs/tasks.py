"""Celery tasks of the costs app: thin, take ids, call the writer."""

from __future__ import annotations

from celery import shared_task

from .exports import export_write


@shared_task(acks_late=True)
def write_export(export_id: str) -> dict:
    """Write one export file (running it twice rewrites the same file)."""
    export = export_write(export_id=export_id)
    return {"exportId": str(export.id), "state": export.state, "rows": export.rows}
