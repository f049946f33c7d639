"""Celery tasks of model selection.

A key sent to `POST /api/models/test` must cross the broker to reach the worker. It travels sealed:
encrypted with the app's Fernet key and a short time-to-live, so the broker, the worker's logs and any
traceback only ever hold ciphertext that expires. The task returns the probe's id, never the key.
"""

from __future__ import annotations

from celery import shared_task

from . import probes
from .keys import SEALED_KEY_TTL_SECONDS, key_decrypt, key_encrypt


def seal_key(api_key: str | None) -> str:
    return key_encrypt(api_key) if api_key else ""


@shared_task(name="models_selection.probe_run", soft_time_limit=60, time_limit=90, acks_late=True,
             reject_on_worker_lost=True)
def probe_run(probe_id: int, sealed_key: str = "") -> int:
    """Run the probe `probe_id`; `sealed_key` is a request key sealed by `seal_key` (or empty)."""
    api_key = key_decrypt(sealed_key, ttl=SEALED_KEY_TTL_SECONDS) if sealed_key else None
    probes.probe_execute(probe_id=probe_id, api_key=api_key)
    return probe_id
