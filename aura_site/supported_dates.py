"""The one range of dates the app accepts and computes with: 1900-01-01 to 9000-12-31 (UTC for moments).

Python's dates stop at the years 1 and 9999, and the app moves dates around: the day after a custom
period, the first of the next month, a report's previous range (at most three years back), a time-zone
offset of up to a day. Near either end of the calendar that arithmetic overflows. So every date or moment
that comes in (API bodies and queries, page and admin forms, imports) must lie in this range and is
refused outside it (422 naming the field, or a form error); the range leaves centuries of room on both
sides for everything the app computes, and is wider than any real budget, ledger or report needs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from pydantic import AfterValidator, BeforeValidator

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9000, 12, 31)
MESSAGE = f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"

_FIRST_MOMENT = dt.datetime.combine(EARLIEST, dt.time.min, tzinfo=dt.UTC)
_LAST_MOMENT = dt.datetime.combine(LATEST, dt.time.max, tzinfo=dt.UTC)


def is_supported(value: dt.date) -> bool:
    """Whether a date, or a moment's UTC instant (a naive moment read as UTC), lies in the range."""
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            value = value.replace(tzinfo=dt.UTC)
        # Comparing aware moments never converts them, so an offset at the edge of the calendar cannot overflow.
        return _FIRST_MOMENT <= value <= _LAST_MOMENT
    return EARLIEST <= value <= LATEST


def clamp(day: dt.date) -> dt.date:
    """The nearest supported date: for dates stored before the range was enforced."""
    return min(max(day, EARLIEST), LATEST)


def _check(value: dt.date) -> dt.date:
    if not is_supported(value):
        raise ValueError(MESSAGE)
    return value


def validate_supported(value: dt.date | None) -> None:
    """The range as a Django validator, for page and admin form fields."""
    if value is not None and not is_supported(value):
        raise ValidationError(f"The date {MESSAGE}.", code="unsupported_date")


def _written(value: object) -> object:
    """Refuse a number where a date is due: pydantic would read it as seconds since 1970, silently."""
    if isinstance(value, int | float):
        raise ValueError("must be an ISO 8601 date string, not a number")
    return value


# The range as API types: a value outside it, or a number, is a 422 naming its field.
SupportedDate = Annotated[dt.date, BeforeValidator(_written), AfterValidator(_check)]
SupportedDateTime = Annotated[dt.datetime, BeforeValidator(_written), AfterValidator(_check)]
