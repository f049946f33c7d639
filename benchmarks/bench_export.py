"""CSV export of 1M rows: <= 2x PostgreSQL's COPY … TO STDOUT WITH CSV; peak RSS <= 150 MB, flat from 10k."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from benchmarks.harness import ROOT, Harness, analyze, is_postgres, main, seed_operations

CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
import django
django.setup()
from costs.export_lifecycle import export_run
from costs.models import ExportJob
export = ExportJob.objects.create(job_id={job!r}, format="csv")
started = time.perf_counter()
export_run(export_id=str(export.id))
elapsed = time.perf_counter() - started
export.refresh_from_db()
print(json.dumps({{"seconds": elapsed, "rows": export.rows, "state": export.state,
                   "bytes": export.path.stat().st_size if export.path.exists() else 0,
                   "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
export.path.unlink(missing_ok=True)
"""


def export_in_child(job: str) -> dict:
    """Export in a fresh process, so its peak RSS is the export's own."""
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), job=job)], cwd=ROOT,
                         env={**os.environ}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bare_copy(job: str) -> float:
    from django.db import connection

    started = time.perf_counter()
    if is_postgres():
        with connection.cursor() as cursor, open(os.devnull, "wb") as sink, cursor.copy(
                "COPY (SELECT * FROM costs_costoperation WHERE job_id = %s ORDER BY timestamp, id) "
                "TO STDOUT WITH CSV", [job]) as copy:
            for block in copy:
                sink.write(block)
    else:  # SQLite has no COPY: the nearest bare path is the csv module over a cursor
        import csv

        with connection.cursor() as cursor, open(os.devnull, "w", newline="") as sink:
            cursor.execute("SELECT * FROM costs_costoperation WHERE job_id = %s ORDER BY timestamp, id", [job])
            csv.writer(sink).writerows(cursor)
    return time.perf_counter() - started


def run(h: Harness) -> None:
    small, large = h.size("export_small"), h.size("export")
    seed_operations("exp-small", small)
    seed_operations("exp-large", large)
    analyze()
    rounds = max(1, min(3, h.rounds))
    small_child = export_in_child("exp-small")
    children, copies = [], []
    for _ in range(rounds):
        children.append(export_in_child("exp-large"))
        copies.append(bare_copy("exp-large"))
    assert all(c["state"] == "SUCCESS" and c["rows"] == large for c in children), children
    ours = sorted(c["seconds"] for c in children)[len(children) // 2]
    baseline = sorted(copies)[len(copies) // 2]
    h.report("export_csv_vs_copy_to_stdout", ours, baseline, most=2.0, rows=large)
    peak_mb = max(c["rss_kb"] for c in children) / 1024
    h.report("export_peak_rss_mb", peak_mb, 150.0, most=1.0, rows=large, note="absolute ceiling: 150 MB")
    h.report("export_peak_rss_large_vs_small", peak_mb, small_child["rss_kb"] / 1024, most=1.2, rows=large)


if __name__ == "__main__":
    main(run)
