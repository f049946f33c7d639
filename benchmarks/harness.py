"""What every benchmark shares: a throw-away database, medians, seeding, and one JSON line per measure.

A measure is a ratio to a baseline measured in the same run on the same data (machines are noisy:
medians and ratios, never a single absolute time). Each prints
`{"name", "value", "baseline", "ratio", "target", "ok", "rows"}`.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The sizes of the issue (scale 1.0); `--scale` multiplies the row counts (tiny for the smoke test).
SIZES = {"ledger": 1_000_000, "ledger_small": 1_000, "summary_job": 10_000, "export": 1_000_000,
         "export_small": 10_000, "audit": 100_000, "audit_small": 10, "profiles": 10_000, "batches": 20}


@dataclass
class Harness:
    scale: float = 1.0
    rounds: int = 5
    seconds: float = 4.0  # per HTTP load run
    results: list[dict[str, Any]] = field(default_factory=list)
    database_url: str = ""

    def size(self, name: str, minimum: int = 1) -> int:
        return max(minimum, int(SIZES[name] * self.scale))

    def report(self, name: str, value: float, baseline: float | None, *, most: float | None = None,
               least: float | None = None, rows: int = 0, ratio: float | None = None, ok: bool | None = None,
               note: str = "") -> dict[str, Any]:
        """Print one measure; the target is on the ratio: at most `most` or at least `least`."""
        if ratio is None:
            ratio = value / baseline if baseline else None
        target = f"<= {most}" if most is not None else f">= {least}" if least is not None else "== baseline"
        if ok is None:
            ok = ratio is not None and (most is None or ratio <= most) and (least is None or ratio >= least)
        line = {"name": name, "value": _round(value), "baseline": _round(baseline),
                "ratio": _round(ratio), "target": target, "ok": bool(ok), "rows": rows}
        if note:
            line["note"] = note
        print(json.dumps(line), flush=True)
        self.results.append(line)
        return line


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def median_time(fn: Callable[[], Any], rounds: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def paired_medians(ours: Callable[[], Any], baseline: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Median times of two functions run alternately, so load changes hit both alike."""
    ours(), baseline()
    a, b = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        ours()
        a.append(time.perf_counter() - started)
        started = time.perf_counter()
        baseline()
        b.append(time.perf_counter() - started)
    return statistics.median(a), statistics.median(b)


# ---- the database ---------------------------------------------------------------------------------


def bench_database_url(suffix: str = "_bench") -> str:
    """BENCH_DATABASE_URL, else DATABASE_URL's server with `<name>_bench`, else a SQLite file in var/."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(base)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))
    return f"sqlite:///{ROOT / 'var' / f'bench{suffix}.sqlite3'}"


def _admin(url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)


def database_create(url: str) -> None:
    """A fresh, migrated database at `url`, then Django set up on it."""
    if url.startswith("sqlite"):
        path = Path(urlsplit(url).path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    else:
        name = urlsplit(url).path.lstrip("/")
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aura_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_drop(url: str) -> None:
    from django.db import connections

    connections.close_all()
    if url.startswith("sqlite"):
        Path(urlsplit(url).path).unlink(missing_ok=True)
    else:
        _admin(url, f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


# ---- seeding --------------------------------------------------------------------------------------

OPERATION_COLUMNS = ["idempotency_key", "job_id", "project_id", "stage", "provider", "model", "input_tokens",
                     "output_tokens", "characters", "images", "seconds", "cache_hit", "cost", "cost_saved",
                     "cost_source", "period_start", "timestamp", "recorded_at"]
STAGES = [("ScriptGeneration", "OpenAI", "gpt-4o"), ("TTS", "ElevenLabs", ""), ("Visuals", "Stability", ""),
          ("Rendering", "Local Render", "")]


def operation_rows(job: str, n: int, start: int = 0) -> Iterable[tuple]:
    import datetime as dt

    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i in range(start, start + n):
        stage, provider, model = STAGES[i % 4]
        yield (f"{job}-{i}", job, "", stage, provider, model, 1000 + i % 7 if model else 0, 500 if model else 0,
               2500 if stage == "TTS" else 0, 3 if stage == "Visuals" else 0, Decimal("1.500"), i % 9 == 0,
               Decimal("0.001") * (1 + i % 13), Decimal("0.000100") if i % 9 == 0 else Decimal(0), "reported",
               None, base + dt.timedelta(seconds=i), base)


def seed_operations(job: str, n: int, start: int = 0) -> None:
    """Ledger rows for a job, by COPY on PostgreSQL, by bulk_create on SQLite."""
    from django.db import connection

    from costs.models import CostOperation

    if is_postgres():
        with connection.cursor() as cursor, cursor.copy(
                f"COPY costs_costoperation ({', '.join(OPERATION_COLUMNS)}) FROM STDIN") as copy:
            for row in operation_rows(job, n, start):
                copy.write_row(row)
        return
    batch: list[CostOperation] = []
    for row in operation_rows(job, n, start):
        batch.append(CostOperation(**dict(zip(OPERATION_COLUMNS, row, strict=True))))
        if len(batch) == 5000:
            CostOperation.objects.bulk_create(batch)
            batch = []
    CostOperation.objects.bulk_create(batch)


def analyze() -> None:
    """Vacuumed tables and fresh statistics after seeding, as a long-lived database has them (and so
    autovacuum does not start on the new rows in the middle of a measure)."""
    from django.db import connection

    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def api_user_token() -> str:
    from django.contrib.auth import get_user_model

    from aura_site.models import ApiToken

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True,
                                                                                 "is_staff": True})
    if not user.is_superuser:
        user.is_superuser = True
        user.save()
    return ApiToken.issue(user=user, name=f"bench-{uuid.uuid4().hex[:6]}")[1]


def main(run: Callable[[Harness], None]) -> None:
    """Run one benchmark script on its own (the same options as bench.py)."""
    from benchmarks.bench import main as bench_main

    sys.exit(bench_main(only=[run.__module__.rsplit(".", 1)[-1].removeprefix("bench_")]))
