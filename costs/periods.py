"""Budget periods as half-open windows [start, next start) in the configured time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from aura_site.supported_dates import clamp

from .models import CostConfiguration, PeriodType


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=_zone())


def period_window(config: CostConfiguration, at: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The budget period holding `at`: Monthly from the 1st, Weekly from Sunday, Custom between its dates.

    None when a Custom period does not hold `at` (no budget applies then).
    """
    local = at.astimezone(_zone())
    day = local.date()
    if config.period_type == PeriodType.WEEKLY:
        start = day - dt.timedelta(days=(day.weekday() + 1) % 7)  # Monday is 0; Sunday starts the week
        return _midnight(start), _midnight(start + dt.timedelta(days=7))
    if config.period_type == PeriodType.CUSTOM:
        if config.custom_start is None or config.custom_end is None:
            return None
        # Clamped: a period saved before dates were bounded may reach the ends of the calendar.
        start = _midnight(clamp(config.custom_start))
        end = _midnight(clamp(config.custom_end) + dt.timedelta(days=1))
        return (start, end) if start <= local < end else None
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return _midnight(first), _midnight(following)
