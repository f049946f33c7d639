"""Periodic upkeep run by celery beat (`celery -A aura_site beat`): see `sweep_tasks`."""

from __future__ import annotations

from celery import shared_task

from .sweeping import sweep


@shared_task(name="aura_site.sweep_tasks", acks_late=True)
def sweep_tasks() -> dict:
    """Retry or fail tasks whose worker died; delete expired exports and stray files."""
    return sweep()
