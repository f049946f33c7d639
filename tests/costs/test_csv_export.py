"""CSV exports: formulas are never run by a spreadsheet, money is exact, COPY and Python write the same."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from costs import csv_cells, exports
from costs.models import CostOperation, ExportJob

pytestmark = pytest.mark.django_db
HOSTILE = ["=1+1", "@SUM(A1)", '=HYPERLINK("http://evil.example","click")', "+3", "-2", "\tTab", "\rReturn"]
HARMLESS = ["a=b", "plain", "", 'say "hi", then\nleave', "Zürich ✓", " lead space", "'quoted"]


def _seed(job: str = "job-x") -> list[CostOperation]:
    rows = []
    for i, value in enumerate(HOSTILE + HARMLESS):
        rows.append(CostOperation(
            idempotency_key=f"{value}|{job}{i}", job_id=job, project_id=value, stage=value or "s",
            provider=value or "p",
            model=value, input_tokens=i * 100, output_tokens=7, characters=i, seconds=Decimal("1.5"),
            cache_hit=i % 2 == 0, cost=Decimal("0.015") * (i + 1), cost_saved=Decimal("0.000001") * i,
            cost_source="reported",
            timestamp=dt.datetime(2026, 11, 2, 9, 30, i, 123456 if i % 3 else 0, tzinfo=dt.UTC)))
    return CostOperation.objects.bulk_create(rows)


def _export(tmp_path, job: str = "job-x") -> list[list[str]]:
    export = ExportJob.objects.create(job_id=job, format="csv")
    path = tmp_path / "export.csv"
    count = exports._write(export, path)
    assert count == len(HOSTILE + HARMLESS)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_cells_a_spreadsheet_would_run_get_a_leading_quote_and_nothing_else_does(tmp_path):
    _seed()
    rows = _export(tmp_path)
    header, body = rows[0], rows[1:1 + len(HOSTILE + HARMLESS)]
    by_column = [dict(zip(header, row, strict=True)) for row in body]
    models = [r["model"] for r in by_column]
    assert models[:len(HOSTILE)] == ["'" + v for v in HOSTILE]
    assert models[len(HOSTILE):] == HARMLESS
    for record in by_column:
        for name in ("jobId", "projectId", "stage", "provider", "model", "costSource", "idempotencyKey"):
            assert not record[name].startswith(csv_cells.FORMULA_START), (name, record[name])


def test_money_is_written_as_exact_decimals(tmp_path):
    _seed()
    rows = _export(tmp_path)
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["cost"], first["costSaved"], first["seconds"]) == ("0.015000", "0.000000", "1.500")
    ledger = {csv_cells.text(o.idempotency_key): o for o in CostOperation.objects.all()}
    for row in rows[1:1 + len(ledger)]:
        record = dict(zip(header, row, strict=True))
        key = record["idempotencyKey"]
        assert Decimal(record["cost"]) == ledger[key].cost and Decimal(record["costSaved"]) == ledger[key].cost_saved
    totals = next(r for r in rows if r and r[0] == "totals")
    assert totals[4] == str(sum(o.cost for o in ledger.values()).quantize(Decimal("0.000001")))


def test_timestamps_are_iso_8601_in_utc(tmp_path):
    ops = _seed()
    rows = _export(tmp_path)
    stamps = [dict(zip(rows[0], r, strict=True))["timestamp"] for r in rows[1:1 + len(ops)]]
    ordered = sorted(ops, key=lambda o: o.timestamp)
    assert [dt.datetime.fromisoformat(s) for s in stamps] == [o.timestamp for o in ordered]
    assert stamps[0] == "2026-11-02T09:30:00.000000Z" and stamps[1] == "2026-11-02T09:30:01.123456Z"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_postgresqls_copy_writes_the_same_bytes_as_the_python_writer(tmp_path):
    _seed()
    _seed("other")  # not exported
    ops = exports._operations(ExportJob(job_id="job-x", format="csv"))
    copied, written = tmp_path / "copy.csv", tmp_path / "python.csv"
    with open(copied, "w", newline="", encoding="utf-8") as handle:
        by_copy = exports._copy_csv_rows(ops, handle)
    with open(written, "w", newline="", encoding="utf-8") as handle:
        by_python = exports._python_csv_rows(ops, handle)
    assert copied.read_bytes() == written.read_bytes()
    assert by_copy == by_python
    assert copied.read_bytes().count(b"'=1+1") == 5  # project, stage, provider, model and key of one row


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
def test_a_csv_export_is_written_by_copy_with_debug_on(tmp_path, settings):
    settings.DEBUG = True  # Django then wraps every cursor in its query-logging debug cursor
    _seed()
    rows = _export(tmp_path)
    assert rows[0][0] == "timestamp" and len([r for r in rows if r and r[0].startswith("2026-")]) == len(
        HOSTILE + HARMLESS)
