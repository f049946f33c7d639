"""Spend over time stays flat as the ledger grows: it reads the daily rollups, never the ledger.

    .venv/bin/python benchmarks/spend_query.py [--sizes 10000,100000,1000000] [--days 30]

For each ledger size the ledger grows (batches of 5,000 rows inserted with their rollups, as ingest
does) over a fixed set of days, providers, models, stages, projects and users, so the rollups hold the
same number of rows at every size: the operations per day grow, the groups do not. Printed per size:
the spend query (GET /api/cost-tracking/spend's reader, by provider, per day, over the whole range),
the breakdowns, and for contrast the same GROUP BY on the raw ledger; ratios are against the smallest
size. On PostgreSQL both tables are vacuumed after loading, as autovacuum would. Runs against a
throw-away test database of the configured DATABASE_URL (SQLite by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aura_site.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.db.models.functions import TruncDate  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

MODELS = [("OpenAI", "gpt-4o"), ("OpenAI", "gpt-4o-mini"), ("Anthropic", "claude-sonnet"),
          ("Anthropic", "claude-haiku"), ("Gemini", "gemini-flash"), ("Gemini", "gemini-pro")]
STAGES = ["script", "visual", "narration", "refinement"]
PROJECTS = ["alpha", "beta", "gamma"]
BATCH = 5000


def best_of(fn, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def grow(start: int, stop: int, *, days: int, users: list[int], first_day: dt.datetime) -> None:
    """Insert ledger rows start..stop-1 with their rollups, cycling through every group."""
    from costs.models import CostOperation
    from costs.rollups import rollups_add

    groups = [(d, m, s, p, u) for d in range(days) for m in MODELS for s in STAGES for p in PROJECTS for u in users]
    for low in range(start, stop, BATCH):
        rows = []
        for n in range(low, min(low + BATCH, stop)):
            day, (provider, model), stage, project, user = groups[n % len(groups)]
            rows.append(CostOperation(
                idempotency_key=f"b{n}", stage=stage, provider=provider, model=model, project_id=project,
                user_id=user, cost=Decimal("0.001234"), cost_source="reported", input_tokens=1000,
                output_tokens=500, timestamp=first_day + dt.timedelta(days=day, seconds=(n * 7919) % 86400)))
        with transaction.atomic():
            CostOperation.objects.bulk_create(rows)
            rollups_add(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.conf import settings
        from django.contrib.auth import get_user_model

        from costs import analytics
        from costs.models import CostOperation, CostRollup

        settings.TIME_ZONE = "UTC"
        users = [get_user_model().objects.create_user(f"bench{i}").pk for i in range(3)]
        first_day = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        span = analytics.Range(first_day.date(), first_day.date() + dt.timedelta(days=args.days - 1))
        groups = args.days * len(MODELS) * len(STAGES) * len(PROJECTS) * len(users)
        print(f"{connection.vendor}; {args.days} days × {len(MODELS)} models × {len(STAGES)} stages × "
              f"{len(PROJECTS)} projects × {len(users)} users = {groups:,} daily groups")

        def spend() -> None:
            analytics.spend_series(span=span, group_by="day", by="provider")

        def breakdowns() -> None:
            analytics.breakdowns(span=span)

        def raw_group_by() -> None:
            list(CostOperation.objects.annotate(day=TruncDate("timestamp")).values("day", "provider")
                 .annotate(cost=Sum("cost")).order_by())

        base = None
        have = 0
        for size in sizes:
            started = time.perf_counter()
            grow(have, size, days=args.days, users=users, first_day=first_day)
            loaded = time.perf_counter() - started
            have = size
            if connection.vendor == "postgresql":
                # What autovacuum does in production: each upsert leaves a dead row version behind.
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE costs_costrollup")
                    cursor.execute("VACUUM ANALYZE costs_costoperation")
            figures = (best_of(spend), best_of(breakdowns), best_of(raw_group_by, repeat=2))
            base = base or figures
            print(f"{size:>9,} ledger rows ({CostRollup.objects.count():,} rollup rows, loaded in {loaded:.1f} s): "
                  f"spend {figures[0] * 1000:7.1f} ms ({figures[0] / base[0]:.2f}x), "
                  f"breakdowns {figures[1] * 1000:7.1f} ms ({figures[1] / base[1]:.2f}x), "
                  f"raw ledger GROUP BY {figures[2] * 1000:8.1f} ms ({figures[2] / base[2]:.2f}x)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
