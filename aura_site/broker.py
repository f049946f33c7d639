"""Hand work to Celery without ever hanging a web request on an unreachable broker.

`enqueue(task, *args)` is the one way work is queued. `task` is best given by its registered name
("costs.tasks.write_export"), so the caller need not import the module that defines it; a task object
is accepted too. The broker and result store are reached with short connect timeouts and no publish
retries (see the CELERY_* settings), so `enqueue` either publishes at once or raises ServiceUnavailable
(503) within a couple of seconds. Callers create their database row first and pass `undo` to remove it
again when the message could not be sent, so a failed enqueue leaves nothing behind.

With `on_commit=True` the message is sent after the current transaction commits (and not at all if it
rolls back). The caller's work is then already saved, so a broker that cannot be reached is logged, not
raised: the rows the task would have worked on stay as they were committed (e.g. a webhook delivery stays
PENDING in the delivery log).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import Task
from celery.result import AsyncResult
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from .celery import app
from .errors import ServiceUnavailable

logger = logging.getLogger(__name__)

# What publishing raises when the broker or the result store is down: kombu's OperationalError,
# redis-py's errors, socket errors, and the RuntimeError Celery's Redis result consumer gives up with.
BROKER_ERRORS = (KombuError, RedisError, OSError, RuntimeError)


_discovery = threading.Lock()


def registered(name: str) -> Task:
    """The task registered under `name` (loading every app's tasks module the first time one is missing).

    One thread discovers while the others wait: Celery runs its discovery once, so a thread that did not
    wait could look the name up before the module defining it has finished loading.
    """
    if name not in app.tasks:
        with _discovery:
            if name not in app.tasks:
                app.loader.import_default_modules()  # Celery's own (otherwise lazy) discovery of `<app>.tasks`
    return app.tasks[name]


def enqueue(task: Task | str, *args: Any, undo: Callable[[], Any] | None = None, on_commit: bool = False,
            countdown: float | None = None, **kwargs: Any) -> AsyncResult | None:
    """Send `task(*args, **kwargs)` to the workers (or run it in-process when no broker is configured).

    `countdown`: seconds to wait before it runs. `on_commit`: send it once the transaction commits.
    """
    if on_commit:
        transaction.on_commit(lambda: _send_after_commit(task, args, kwargs, countdown))
        return None
    task = registered(task) if isinstance(task, str) else task
    try:
        return task.apply_async(args=args, kwargs=kwargs, retry=False, countdown=countdown)
    except BROKER_ERRORS as error:
        if task.app.conf.task_always_eager:
            raise  # an eager task's own failure, not the broker's
        logger.error("Could not send task %s to the broker: %s", task.name, type(error).__name__)
        if undo is not None:
            undo()
        raise ServiceUnavailable(
            "The task queue is unreachable, so the work was not started and nothing was saved; try again shortly."
        ) from error


def _send_after_commit(task: Task | str, args: tuple, kwargs: dict[str, Any], countdown: float | None) -> None:
    try:
        enqueue(task, *args, countdown=countdown, **kwargs)
    except ServiceUnavailable:
        pass  # logged by enqueue; what was committed stays as it is
