"""Hand work to Celery without ever hanging a web request on an unreachable broker.

The broker and result store are reached with short connect timeouts and no publish retries (see the
CELERY_* settings), so `enqueue` either publishes at once or raises ServiceUnavailable (503) within a
couple of seconds. Callers create their database row first and pass `undo` to remove it again when
the message could not be sent, so a failed enqueue leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from celery.result import AsyncResult
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from .errors import ServiceUnavailable

logger = logging.getLogger(__name__)

# What publishing raises when the broker or the result store is down: kombu's OperationalError,
# redis-py's errors, socket errors, and the RuntimeError Celery's Redis result consumer gives up with.
BROKER_ERRORS = (KombuError, RedisError, OSError, RuntimeError)


def enqueue(task: Task, *args: Any, undo: Callable[[], Any] | None = None, **kwargs: Any) -> AsyncResult:
    """Send `task(*args, **kwargs)` to the workers (or run it in-process when no broker is configured)."""
    try:
        return task.apply_async(args=args, kwargs=kwargs, retry=False)
    except BROKER_ERRORS as error:
        if task.app.conf.task_always_eager:
            raise  # an eager task's own failure, not the broker's
        logger.error("Could not send task %s to the broker: %s", task.name, type(error).__name__)
        if undo is not None:
            undo()
        raise ServiceUnavailable(
            "The task queue is unreachable, so the work was not started and nothing was saved; try again shortly."
        ) from error
