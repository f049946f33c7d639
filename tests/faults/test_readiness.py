"""Readiness names the service that is down."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import closed_port

# Slow: each test starts gunicorn (in the `servers` group of tests/conftest.py: one server at a time).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_with_the_broker_unreachable_readiness_names_the_broker_and_answers_quickly(server_process):
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    url = server_process(CELERY_BROKER_URL=dead, CELERY_RESULT_BACKEND=dead)

    started = time.monotonic()
    response = httpx.get(f"{url}/readyz", timeout=30)

    assert response.status_code == 503 and time.monotonic() - started < 5
    checks = response.json()["checks"]
    assert checks["broker"] == "unavailable"
    assert checks["database"] == checks["cache"] == "ok"
