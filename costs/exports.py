"""Streaming cost exports: every operation of a job (or a date range) to CSV or JSON, in constant memory."""

from __future__ import annotations

import csv
import json

from .models import ExportJob
from .selectors import suggestions
from .services import money

COLUMNS = ["timestamp", "jobId", "projectId", "stage", "provider", "model", "inputTokens", "outputTokens",
           "characters", "images", "seconds", "cacheHit", "cost", "costSaved", "costSource", "idempotencyKey"]
# The ledger fields behind COLUMNS, in the same order.
FIELDS = ["timestamp", "job_id", "project_id", "stage", "provider", "model", "input_tokens", "output_tokens",
          "characters", "images", "seconds", "cache_hit", "cost", "cost_saved", "cost_source", "idempotency_key"]
CHUNK = 2000
SUGGESTION_SAMPLE = 2000


def _operations(export: ExportJob):
    from .models import CostOperation

    ops = CostOperation.objects.order_by("timestamp", "id")
    if export.job_id != "all":
        ops = ops.filter(job_id=export.job_id)
    if export.date_from:
        ops = ops.filter(timestamp__gte=export.date_from)
    if export.date_to:
        ops = ops.filter(timestamp__lt=export.date_to)
    return ops


def export_write(*, export_id: str) -> ExportJob:
    """Write one export now (the task's lifecycle: claim, heartbeat, temporary file, atomic rename)."""
    from .export_lifecycle import export_run

    return export_run(export_id=export_id)


def write_rows(export: ExportJob, path) -> int:
    """Write every row of the export (and its totals) to `path`; returns the number of operations."""
    return _write(export, path)


def _write(export: ExportJob, path) -> int:
    ops = _operations(export)
    count, total, saved, tokens = 0, 0, 0, 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        if export.format == "csv":
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
        else:
            handle.write('{"jobId": ' + json.dumps(export.job_id) + ', "operations": [')
        for values in ops.values_list(*FIELDS).iterator(chunk_size=CHUNK):
            row = dict(zip(COLUMNS, values, strict=True))
            row["timestamp"] = row["timestamp"].isoformat()
            row["cost"], row["costSaved"], row["seconds"] = float(row["cost"]), float(row["costSaved"]), float(
                row["seconds"])
            if export.format == "csv":
                writer.writerow(row.values())
            else:
                handle.write(("," if count else "") + json.dumps(row))
            count += 1
            total += values[12]
            saved += values[13]
            tokens += values[6] + values[7]
        # Suggestions read a bounded sample of the job, so memory stays flat however long the run was.
        advice = suggestions(list(ops[:SUGGESTION_SAMPLE])) if export.job_id != "all" and count else []
        totals = {"operations": count, "totalCost": float(money(total)), "costSavedByCache": float(money(saved)),
                  "totalTokens": tokens}
        if export.format == "csv":
            writer.writerow([])
            writer.writerow(["totals", "operations", count, "totalCost", totals["totalCost"], "costSavedByCache",
                             totals["costSavedByCache"], "totalTokens", tokens])
            for s in advice:
                writer.writerow(["suggestion", s["category"], s["suggestion"], "estimatedSavings",
                                 s["estimatedSavings"]])
        else:
            handle.write('], "totals": ' + json.dumps(totals) + ', "optimizationSuggestions": '
                         + json.dumps(advice) + "}")
    return count
