"""Status polling from the pages: ask again later and later, and stop with an error when nobody answers.

A status fragment (a probe, an export) re-renders itself with the next delay while its task is not done.
The delay grows from 1 s by half each time up to 10 s, so a slow worker is not flooded with requests,
and once the task has waited longer than its patience the fragment says the worker did not answer
instead of polling for ever. A final state renders no polling attribute at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

FIRST_DELAY_MS = 1000
GROWTH = 1.5
MAX_DELAY_MS = 10_000
MAX_ATTEMPT = 1000


@dataclass(frozen=True)
class Poll:
    delay_ms: int  # wait this long before asking again
    next_attempt: int  # the attempt number the next request carries
    gave_up: bool  # the task waited past its patience: show an error, poll no more
    waited_s: int  # seconds since the task was asked for


def poll_next(*, attempt: int, waiting_since: dt.datetime, patience: dt.timedelta,
              now: dt.datetime | None = None) -> Poll:
    """The next poll of a task that has been waiting since `waiting_since` (attempt 0 is the first answer)."""
    attempt = min(max(attempt, 0), MAX_ATTEMPT)
    waited = (now or timezone.now()) - waiting_since
    delay = min(MAX_DELAY_MS, round(FIRST_DELAY_MS * GROWTH ** min(attempt, 20)))
    return Poll(delay_ms=delay, next_attempt=attempt + 1, gave_up=waited > patience,
                waited_s=max(int(waited.total_seconds()), 0))


def attempt_of(request: HttpRequest) -> int:
    """The `attempt` query parameter of a status request (0 when absent or not a number)."""
    try:
        return min(max(int(request.GET.get("attempt", "0")), 0), MAX_ATTEMPT)
    except ValueError:
        return 0
