"""Celery tasks of the costs app: thin, take ids, call the writer."""

from __future__ import annotations

from celery import shared_task

from aura_site.broker import enqueue

from .export_lifecycle import export_run
from .forecast import forecast_alerts_raise
from .webhooks import delivery_attempt


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def write_export(self, export_id: str) -> dict:
    """Write one export file; a duplicate or late message finds the export taken or done and does nothing."""
    export = export_run(export_id=export_id, task_id=self.request.id or "")
    if export is None:
        return {"exportId": export_id, "state": "MISSING", "rows": 0}
    return {"exportId": str(export.id), "state": export.state, "rows": export.rows}


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int, attempt: int) -> dict:
    """Make one attempt of a webhook delivery and queue the next one, with backoff, if it is due."""
    outcome = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if outcome.retry_in is not None:
        enqueue(deliver_webhook, delivery_id, attempt + 1, countdown=outcome.retry_in)
    return {"deliveryId": delivery_id, "attempt": attempt, "sent": outcome.sent, "state": outcome.state,
            "statusCode": outcome.status_code}


@shared_task(acks_late=True)
def check_forecast_alerts() -> dict:
    """Raise the forecast alerts that are due (each at most once per period); run periodically."""
    return {"alerts": len(forecast_alerts_raise())}
