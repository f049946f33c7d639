"""Resolve: at most 5 queries for four stages, and as fast with 100k audit rows as with 10."""

from __future__ import annotations

from benchmarks.harness import Harness, analyze, main, median_time


def run(h: Harness) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from models_selection import resolving
    from models_selection.models import ResolutionAudit

    def resolve() -> None:
        resolving.stages_resolve(project_id="p1", allow_auto_fallback=True)

    def grow(total: int) -> None:
        missing = total - ResolutionAudit.objects.count()
        now = timezone.now()
        for start in range(0, max(0, missing), 10_000):
            ResolutionAudit.objects.bulk_create([
                ResolutionAudit(provider="OpenAI", stage="script", model_id="gpt-4o", source="GlobalDefault",
                                reasoning="seeded", is_pinned=False, is_blocked=False, timestamp=now,
                                job_id=f"job-{start + i}") for i in range(min(10_000, missing - start))])
        analyze()

    grow(h.size("audit_small"))
    small = median_time(resolve, h.rounds * 4)
    with CaptureQueriesContext(connection) as captured:
        resolve()
    statements = [q for q in captured.captured_queries
                  if not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    h.report("resolve_queries_4_stages", len(statements), 5, most=1.0,
             rows=ResolutionAudit.objects.count())
    grow(h.size("audit"))
    large = median_time(resolve, h.rounds * 4)
    h.report("resolve_time_100k_vs_10_audit_rows", large, small, most=1.2, rows=ResolutionAudit.objects.count())


if __name__ == "__main__":
    main(run)
