"""Daily rollups of the ledger: written with each ledger insert, rebuilt from the ledger on demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from .models import CostOperation, CostRollup

MICROS = Decimal(1_000_000)
KEY_COLUMNS = ("day", "provider", "model", "stage", "project_id", "user_key")
SUM_COLUMNS = ("cost_micros", "saved_micros", "operations", "input_tokens", "output_tokens")
# Rows per statement when rebuilding (a batch of ingest is at most 1,000 operations, so one statement).
REBUILD_CHUNK = 2000


def micros(value: Decimal | float | int) -> int:
    return int((Decimal(str(value)) * MICROS).to_integral_value())


def local_day(moment: dt.datetime) -> dt.date:
    """The day of a moment in the configured time zone (the one budget periods use)."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


RollupKey = tuple[dt.date, str, str, str, str, int]


def _accumulate(sums: dict[RollupKey, list[int]], *, timestamp: dt.datetime, provider: str, model: str, stage: str,
                project_id: str, user_id: int | None, cost, saved, input_tokens: int, output_tokens: int) -> None:
    key = (local_day(timestamp), provider, model or "", stage, project_id or "", user_id or 0)
    row = sums.setdefault(key, [0, 0, 0, 0, 0])
    row[0] += micros(cost)
    row[1] += micros(saved)
    row[2] += 1
    row[3] += input_tokens or 0
    row[4] += output_tokens or 0


def _upsert(sums: dict[RollupKey, list[int]]) -> None:
    """One INSERT … ON CONFLICT DO UPDATE adding the sums to their rows (SQLite ≥ 3.24 and PostgreSQL)."""
    if not sums:
        return
    table = connection.ops.quote_name(CostRollup._meta.db_table)
    columns = KEY_COLUMNS + SUM_COLUMNS
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in SUM_COLUMNS)
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(sums))} "
           f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}")
    params: list = []
    # Keys in one fixed order: two batches upserting the same rows lock them in the same order (no deadlock).
    for key, values in sorted(sums.items()):
        params += [*key, *values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rollups_add(operations: Iterable[CostOperation]) -> None:
    """Add freshly recorded ledger rows to their daily rollups, in the caller's transaction (one statement)."""
    sums: dict[RollupKey, list[int]] = {}
    for op in operations:
        _accumulate(sums, timestamp=op.timestamp, provider=op.provider, model=op.model, stage=op.stage,
                    project_id=op.project_id, user_id=op.user_id, cost=op.cost, saved=op.cost_saved,
                    input_tokens=op.input_tokens, output_tokens=op.output_tokens)
    _upsert(sums)


@transaction.atomic
def rollups_rebuild() -> int:
    """Recompute every rollup from the ledger; returns the number of rollup rows.

    On PostgreSQL the rollup table is locked first: an ingest that is under way waits, and adds its
    rows after the rebuild (the rebuild cannot see them, as they are not committed yet).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(CostRollup._meta.db_table)} IN EXCLUSIVE MODE")
    CostRollup.objects.all().delete()
    sums: dict[RollupKey, list[int]] = {}
    rows = CostOperation.objects.values_list(
        "timestamp", "provider", "model", "stage", "project_id", "user_id", "cost", "cost_saved", "input_tokens",
        "output_tokens").order_by()
    for ts, provider, model, stage, project_id, user_id, cost, saved, tin, tout in rows.iterator(chunk_size=5000):
        _accumulate(sums, timestamp=ts, provider=provider, model=model, stage=stage, project_id=project_id,
                    user_id=user_id, cost=cost, saved=saved, input_tokens=tin, output_tokens=tout)
    items = list(sums.items())
    for start in range(0, len(items), REBUILD_CHUNK):
        _upsert(dict(items[start:start + REBUILD_CHUNK]))
    return len(items)
