"""How a cost export writes a CSV cell: one rule set, in Python (SQLite) and in SQL (PostgreSQL's COPY).

- Text that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage
  return: OWASP's CSV-injection rule) gets a leading `'`.
- Money and durations are exact decimals as stored (`0.015000`), never floats.
- Timestamps are ISO 8601 in UTC with microseconds (`2026-11-02T09:30:00.000000Z`).
- Every cell below the header is quoted and lines end with `\\n`, which is what COPY … WITH (FORMAT csv, FORCE_QUOTE *)
  writes, so both paths give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
DIALECT = {"quoting": csv.QUOTE_ALL, "lineterminator": "\n"}
COPY_OPTIONS = "FORMAT csv, FORCE_QUOTE *"
TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"  # ISO 8601 in UTC, always with microseconds


def text(value: str) -> str:
    return QUOTE + value if value.startswith(FORMULA_START) else value


def cell(value: Any) -> str:
    """A Python value as the export writes it."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime(TIMESTAMP)
    return str(value)


def sql_text(column: str) -> str:
    """SQL for a text column escaped by the same rule as `text`."""
    starts = ", ".join(f"chr({ord(c)})" for c in FORMULA_START)
    return f"CASE WHEN left({column}, 1) IN ({starts}) THEN '{QUOTE * 2}' || {column} ELSE {column} END"


def sql_bool(column: str) -> str:
    return f"CASE WHEN {column} THEN 'True' ELSE 'False' END"


def sql_timestamp(column: str) -> str:
    """PostgreSQL SQL for a timestamp written as `TIMESTAMP` does (one to_char: cheap on a million rows)."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
