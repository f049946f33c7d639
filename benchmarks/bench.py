"""Benchmarks: each prints a measured figure and its ratio to a baseline measured in the same run.

    .venv/bin/python benchmarks/bench.py [resolver|ingest|summary|export|import|all] [--rows N]

Runs against a throw-away test database of the configured DATABASE_URL (SQLite by default).
These are measurements for people to read, not pass/fail tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aura_site.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bench_resolver(rows: int) -> None:
    from models_selection import services
    from models_selection.models import ModelSelection, ResolutionAudit

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            services.stages_resolve(overrides={}, project_id="p1", allow_auto_fallback=True)
        return len(captured.captured_queries)

    small_queries, small_time = queries(), timed(lambda: services.stages_resolve(overrides={}, project_id="p1",
                                                                                  allow_auto_fallback=True))
    ModelSelection.objects.bulk_create([
        ModelSelection(scope="Project", stage="script", project_id=f"proj-{i}", provider="OpenAI",
                       model_id="gpt-4o", set_at=timezone.now()) for i in range(rows)], ignore_conflicts=True)
    ResolutionAudit.objects.bulk_create([
        ResolutionAudit(provider="OpenAI", stage="script", model_id="gpt-4o", source="GlobalDefault", reasoning="x",
                        is_pinned=False, is_blocked=False, timestamp=timezone.now()) for _ in range(rows)])
    large_queries = queries()
    large_time = timed(lambda: services.stages_resolve(overrides={}, project_id="p1", allow_auto_fallback=True))
    print(f"resolver: 4 stages take {small_queries} queries with an empty database and {large_queries} with "
          f"{rows} selections and audit rows; time ratio {large_time / small_time:.2f}x")


def bench_ingest(rows: int) -> None:
    from costs import services
    from costs.models import CostOperation

    batches = [[{"idempotency_key": f"i-{b}-{i}", "job_id": "bench", "stage": "script", "provider": "OpenAI",
                 "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 500} for i in range(1000)]
               for b in range(max(1, rows // 1000))]
    started = time.perf_counter()
    for batch in batches:
        services.operations_record(operations=batch)
    ours = time.perf_counter() - started
    count = sum(len(b) for b in batches)
    started = time.perf_counter()
    for b, batch in enumerate(batches):
        CostOperation.objects.bulk_create([CostOperation(idempotency_key=f"raw-{b}-{i}", stage="script",
                                                         provider="OpenAI", cost=Decimal("0.01"),
                                                         cost_source="reported") for i in range(len(batch))])
    bare = time.perf_counter() - started
    print(f"ingest: {count / ours:,.0f} operations/s in batches of 1,000 with pricing, budget totals and "
          f"idempotency; {ours / bare:.2f}x the time of a bare bulk_create")


def bench_summary(rows: int) -> None:
    from costs import selectors
    from costs.models import CostOperation

    stages = ["ScriptGeneration", "TTS", "Visuals", "Rendering"]
    CostOperation.objects.bulk_create([
        CostOperation(idempotency_key=f"s-{i}", job_id="big", stage=stages[i % 4], provider="OpenAI",
                      cost=Decimal("0.001"), cost_source="reported", input_tokens=10) for i in range(rows)],
        batch_size=5000)
    from django.db.models import Sum

    def aggregates() -> None:
        list(CostOperation.objects.filter(job_id="big").values("stage").annotate(c=Sum("cost")))
        list(CostOperation.objects.filter(job_id="big").values("provider").annotate(c=Sum("cost")))

    def hand_sql() -> None:
        with connection.cursor() as cursor:
            for column in ("stage", "provider"):
                cursor.execute(f"SELECT {column}, SUM(cost) FROM costs_costoperation WHERE job_id = %s "
                               f"GROUP BY {column}", ["big"])
                cursor.fetchall()

    ours, baseline = timed(aggregates), timed(hand_sql)
    full = timed(lambda: selectors.run_summary(job_id="big"), repeat=1)
    print(f"run summary breakdowns over {rows:,} rows: {ours / baseline:.2f}x a hand-written GROUP BY; "
          f"the full summary (with every operation listed) took {full:.2f} s")


def bench_export(rows: int) -> None:
    from costs.exports import export_write
    from costs.models import CostOperation, ExportJob

    def seed(job: str, n: int) -> None:
        CostOperation.objects.bulk_create([
            CostOperation(idempotency_key=f"{job}-{i}", job_id=job, stage="TTS", provider="ElevenLabs",
                          cost=Decimal("0.002"), cost_source="reported", characters=100) for i in range(n)],
            batch_size=5000)

    def run(job: str) -> tuple[int, float, ExportJob]:
        export = ExportJob.objects.create(job_id=job, format="csv")
        started = time.perf_counter()
        export_write(export_id=str(export.id))  # timed without tracing, which slows Python down
        elapsed = time.perf_counter() - started
        again = ExportJob.objects.create(job_id=job, format="csv")
        tracemalloc.start()
        export_write(export_id=str(again.id))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        for written in (export, again):
            written.path.unlink(missing_ok=True)
        return top, elapsed, export

    seed("small", max(1, rows // 10))
    seed("large", rows)
    small_peak, _, _ = run("small")
    large_peak, large_time, _ = run("large")
    line = (f"export: {rows:,} rows as CSV in {large_time:.2f} s, peak {large_peak / 1e6:.1f} MB traced; "
            f"{large_peak / small_peak:.2f}x the peak of a {rows // 10:,}-row export (flat memory is ~1x)")
    if connection.vendor == "postgresql":
        import io

        def copy() -> None:
            with connection.cursor() as cursor, cursor.copy(
                    "COPY (SELECT * FROM costs_costoperation WHERE job_id = 'large') TO STDOUT CSV") as out:
                sink = io.BytesIO()
                for block in out:
                    sink.write(block)

        line += f"; time {large_time / timed(copy, repeat=1):.2f}x PostgreSQL's COPY … TO STDOUT"
    print(line)


def bench_import(rows: int) -> None:
    import json

    from preferences import services
    from preferences.kinds import KINDS_BY_KEY
    from preferences.models import CustomAudienceProfile

    items = [{"id": str(uuid.uuid4()), "name": f"Imported {i}", "minAge": 20, "maxAge": 40, "tags": ["bench"]}
             for i in range(rows)]
    document = json.dumps({"version": "1.0", "audienceProfiles": items})
    kind = KINDS_BY_KEY["audienceProfiles"]
    started = time.perf_counter()
    services.preferences_import(json_data=document, mode="merge")
    ours = time.perf_counter() - started
    CustomAudienceProfile.objects.filter(name__startswith="Imported").delete()
    started = time.perf_counter()
    kind.model.objects.bulk_create([kind.model(name=i["name"], min_age=20, max_age=40, tags=["bench"])
                                    for i in items], batch_size=500)
    bare = time.perf_counter() - started
    print(f"import: {rows:,} profiles in one transaction in {ours:.2f} s, {ours / bare:.2f}x a bare bulk_create")


BENCHES = {"resolver": bench_resolver, "ingest": bench_ingest, "summary": bench_summary, "export": bench_export,
           "import": bench_import}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="?", default="all", choices=[*BENCHES, "all"])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        for name, bench in BENCHES.items():
            if args.which in (name, "all"):
                bench(args.rows)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
