"""Health endpoints for load balancers and orchestrators (checks from django-health-check).

- `/healthz` (liveness): the process answers. Touches nothing else, needs no sign-in.
- `/readyz` (readiness): the database, the cache and, when a broker is configured, the broker (it
  accepts a connection) and at least one live worker (answers a ping), each under its own name, so a
  broker that is down reads `broker`. 200 when all pass, 503 otherwise. Names and "ok"/"unavailable"
  only: the reasons go to the log, never to an anonymous caller.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging

from celery import Celery
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.celery import Ping
from health_check.exceptions import ServiceUnavailable

from aura_site.celery import app

from .broker import BROKER_ERRORS

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({"status": "ok"})
    add_never_cache_headers(response)
    return response


@dataclasses.dataclass
class Broker(HealthCheck):
    """The task broker accepts a connection (within the broker's connect timeout, one attempt)."""

    app: Celery = dataclasses.field(repr=False)

    def run(self) -> None:
        try:
            with self.app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
        except BROKER_ERRORS as error:
            raise ServiceUnavailable(type(error).__name__) from error


def _checks() -> dict[str, object]:
    checks: dict[str, object] = {"database": Database(), "cache": Cache()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = Broker(app=app)
        checks["worker"] = Ping(app=app, timeout=datetime.timedelta(seconds=settings.AURA_BROKER_CONNECT_TIMEOUT),
                                limit=1)
    return checks


async def _results(checks: dict[str, object]):
    return await asyncio.gather(*(check.get_result(None) for check in checks.values()))


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = _checks()
    results = asyncio.run(_results(checks))
    report = {}
    for name, result in zip(checks, results, strict=True):
        if result.error:
            logger.warning("Readiness check %s failed: %s", name, result.error)
        report[name] = "unavailable" if result.error else "ok"
    ready = all(value == "ok" for value in report.values())
    response = JsonResponse({"status": "ok" if ready else "unavailable", "checks": report},
                            status=200 if ready else 503)
    add_never_cache_headers(response)
    return response
