"""Ingest: one operation in at most 6 queries; batches at >= 3,000 operations/s and >= 0.3x a bare COPY."""

from __future__ import annotations

import time
from decimal import Decimal

from benchmarks.harness import Harness, is_postgres, main, median_time, operation_rows, seed_operations


def run(h: Harness) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from costs import ledger
    from costs.models import CostOperation

    ledger.operations_record(operations=[_op("warm-0")])
    with CaptureQueriesContext(connection) as captured:
        ledger.operations_record(operations=[_op("one-0", job_id="job-q")])
    statements = [q for q in captured.captured_queries
                  if not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    h.report("ingest_queries_one_operation", len(statements), 6, most=1.0, rows=1)

    _lock_time(h)
    batches = h.size("batches")
    size = 1000 if h.scale >= 0.05 else 50
    payload = [[_op(f"b{b}-{i}", model="gpt-4o", input_tokens=1000, output_tokens=500) for i in range(size)]
               for b in range(batches)]
    started = time.perf_counter()
    for batch in payload:
        ledger.operations_record(operations=batch)
    ours = time.perf_counter() - started
    count = batches * size
    assert CostOperation.objects.filter(idempotency_key__startswith="b").count() == count
    started = time.perf_counter()
    _bare_copy(count)
    bare = time.perf_counter() - started
    rate, bare_rate = count / ours, count / bare
    h.report("ingest_batch_operations_per_s", rate, 3000.0, least=1.0, rows=count,
             note="absolute floor of the issue: 3,000 operations/s in batches of 1,000")
    h.report("ingest_batch_vs_bare_copy", rate, bare_rate, least=0.3, rows=count,
             note="throughput ratio; the baseline is a bare COPY (bulk_create on SQLite) of the same rows")


def _lock_time(h: Harness) -> None:
    """How long one operation holds its budget's running-total row: the totals statement to the commit."""
    import datetime as dt

    from django.db import transaction

    from costs import ledger
    from costs.ledger_sql import TotalChange, totals_add
    from costs.models import BudgetTotal

    key = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), BudgetTotal.OVERALL, "")
    counter = iter(range(10**9))

    def hold() -> None:
        with transaction.atomic():
            totals_add({key: TotalChange(Decimal("0.001"), Decimal(0), Decimal("1000000"))})

    def whole() -> None:
        ledger.operations_record(operations=[_op(f"lock-{next(counter)}", job_id="job-lock")])

    rounds = max(5, h.rounds * 40)
    locked, write = median_time(hold, rounds), median_time(whole, rounds)
    h.report("ingest_total_row_lock_vs_whole_write", locked * 1000, write * 1000, most=0.5, rows=rounds,
             note=f"lock held {locked * 1000:.2f} ms (statement + commit) of a {write * 1000:.2f} ms write: "
                  f"one budget row takes ~{1 / locked:,.0f} single writes/s")


def _op(key: str, **extra) -> dict:
    op = {"idempotency_key": key, "job_id": "bench", "stage": "script", "provider": "OpenAI"}
    if "model" not in extra:
        op["cost"] = Decimal("0.001")
    return op | extra


def _bare_copy(count: int) -> None:
    if is_postgres():
        seed_operations("bare", count)
        return
    from benchmarks.harness import OPERATION_COLUMNS
    from costs.models import CostOperation

    CostOperation.objects.bulk_create([CostOperation(**dict(zip(OPERATION_COLUMNS, row, strict=True)))
                                       for row in operation_rows("bare", count)], batch_size=1000)


if __name__ == "__main__":
    main(run)
