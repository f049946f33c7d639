"""Streaming cost exports: every operation of a job (or a date range) to CSV or JSON, in constant memory."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.db.models.expressions import RawSQL

from aura_site.broker import enqueue
from aura_site.errors import NotFound, ValidationFailed

from . import csv_cells
from .models import ZERO, CostOperation, ExportJob
from .money import money
from .optimizer import operations_suggestions

COLUMNS = ["timestamp", "jobId", "projectId", "stage", "provider", "model", "inputTokens", "outputTokens",
           "characters", "images", "seconds", "cacheHit", "cost", "costSaved", "costSource", "idempotencyKey"]
# The ledger fields behind COLUMNS, in the same order.
FIELDS = ["timestamp", "job_id", "project_id", "stage", "provider", "model", "input_tokens", "output_tokens",
          "characters", "images", "seconds", "cache_hit", "cost", "cost_saved", "cost_source", "idempotency_key"]
CHUNK = 2000


WRITE_EXPORT = "costs.tasks.write_export"


def export_start(*, job_id: str, fmt: str, date_from=None, date_to=None, user=None) -> ExportJob:
    """Queue an export of a job's operations (or all, between dates); a task writes the file."""
    if fmt not in {"csv", "json"}:
        raise ValidationFailed.on("format", "must be 'csv' or 'json'")
    if job_id != "all" and not CostOperation.objects.filter(job_id=job_id).exists():
        raise NotFound(f"No operations recorded for job {job_id}.")
    export = ExportJob.objects.create(job_id=job_id, format=fmt, date_from=date_from, date_to=date_to,
                                      created_by=user)
    # Broker down: 503 within seconds, and the row is removed again (no orphan PENDING export).
    enqueue(WRITE_EXPORT, str(export.id), undo=export.delete)
    return export


def _operations(export: ExportJob):
    ops = CostOperation.objects.order_by("timestamp", "id")
    if export.job_id != "all":
        ops = ops.filter(job_id=export.job_id)
    if export.date_from:
        ops = ops.filter(timestamp__gte=export.date_from)
    if export.date_to:
        ops = ops.filter(timestamp__lt=export.date_to)
    return ops


def write_rows(export: ExportJob, path) -> int:
    """Write every row of the export (and its totals) to `path`; returns the number of operations."""
    return _write(export, path)


def _write(export: ExportJob, path) -> int:
    ops = _operations(export)
    count, total, saved, tokens = 0, 0, 0, 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        if export.format == "csv":
            writer = csv.writer(handle, **csv_cells.DIALECT)
            handle.write(",".join(COLUMNS) + "\n")  # plain names: nothing to quote or escape
        else:
            handle.write('{"jobId": ' + json.dumps(export.job_id) + ', "operations": [')
        if export.format == "csv":
            body = _copy_csv_rows if connection.vendor == "postgresql" else _python_csv_rows
            count, total, saved, tokens = body(ops, handle)
        else:
            for values in ops.values_list(*FIELDS).iterator(chunk_size=CHUNK):
                row = dict(zip(COLUMNS, values, strict=True))
                row["timestamp"] = row["timestamp"].isoformat()
                row["cost"], row["costSaved"], row["seconds"] = float(row["cost"]), float(row["costSaved"]), float(
                    row["seconds"])
                handle.write(("," if count else "") + json.dumps(row))
                count += 1
                total += values[12]
                saved += values[13]
                tokens += values[6] + values[7]
        # Suggestions come from aggregates over the exported rows, so memory stays flat however long the run.
        advice = operations_suggestions(ops) if export.job_id != "all" and count else []
        totals = {"operations": count, "totalCost": float(money(total)), "costSavedByCache": float(money(saved)),
                  "totalTokens": tokens}
        if export.format == "csv":
            writer.writerow([])
            writer.writerow([csv_cells.cell(v) for v in ["totals", "operations", count, "totalCost", money(total),
                                                         "costSavedByCache", money(saved), "totalTokens", tokens]])
            for s in advice:
                writer.writerow([csv_cells.cell(v) for v in ["suggestion", s["category"], s["suggestion"],
                                                             "estimatedSavings", money(s["estimatedSavings"])]])
        else:
            handle.write('], "totals": ' + json.dumps(totals) + ', "optimizationSuggestions": '
                         + json.dumps(advice) + "}")
    return count


def _python_csv_rows(ops, handle) -> tuple[int, Decimal, Decimal, int]:
    """The CSV body written row by row in Python (SQLite), by the rules of `csv_cells`."""
    writer = csv.writer(handle, **csv_cells.DIALECT)
    count, total, saved, tokens = 0, ZERO, ZERO, 0
    for values in ops.values_list(*FIELDS).iterator(chunk_size=CHUNK):
        writer.writerow([csv_cells.cell(v) for v in values])
        count += 1
        total += values[12]
        saved += values[13]
        tokens += values[6] + values[7]
    return count, total, saved, tokens


def _copy_csv_rows(ops, handle) -> tuple[int, Decimal, Decimal, int]:
    """PostgreSQL writes the CSV body itself (COPY … TO STDOUT), streamed to the file block by block.

    The cells are formatted in SQL by the rules of `csv_cells`; the totals are read in the same snapshot.
    """
    table = connection.ops.quote_name(CostOperation._meta.db_table)

    def column(name: str) -> str:
        return f"{table}.{connection.ops.quote_name(CostOperation._meta.get_field(name).column)}"

    text = {"job_id", "project_id", "stage", "provider", "model", "cost_source", "idempotency_key"}
    cells = {}
    for index, name in enumerate(FIELDS):
        if name in text:
            expression = csv_cells.sql_text(column(name))
        elif name == "cache_hit":
            expression = csv_cells.sql_bool(column(name))
        elif name == "timestamp":
            expression = csv_cells.sql_timestamp(column(name))
        else:
            expression = f"({column(name)})::text"
        cells[f"cell_{index}"] = RawSQL(expression, [])
    sql, params = ops.annotate(**cells).values_list(*cells).query.sql_with_params()
    handle.flush()
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:  # one snapshot for the rows and their totals, whatever is recorded meanwhile
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # psycopg's own cursor: Django's query-logging wrapper (DEBUG on) takes no parameters for COPY.
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH ({csv_cells.COPY_OPTIONS})", params) as copy:
            for block in copy:
                handle.buffer.write(block)
        figures = ops.aggregate(count=Count("id"), total=Sum("cost"), saved=Sum("cost_saved"),
                                tokens=Sum(F("input_tokens") + F("output_tokens")))
    handle.buffer.flush()
    return figures["count"], figures["total"] or ZERO, figures["saved"] or ZERO, figures["tokens"] or 0
