"""A heartbeat for long task rows: a background thread stamps the row while the work runs.

When the process dies (killed, out of memory, the machine lost) the stamps stop, and the sweeper
(`manage.py sweep_tasks`, also run by celery beat) finds the row stale and retries or fails it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import Model
from django.utils import timezone


@contextmanager
def heartbeat(model: type[Model], pk, *, every: float, field: str = "heartbeat_at") -> Iterator[None]:
    """Stamp `model(pk).<field>` with the current time every `every` seconds until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                model.objects.filter(pk=pk).update(**{field: timezone.now()})
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{model._meta.model_name}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 5)
