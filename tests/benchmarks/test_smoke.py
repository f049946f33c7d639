"""Every benchmark runs at tiny sizes and prints valid JSON lines (their speed is `make bench`'s business)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

MEASURES = {
    "resolve_queries_4_stages", "resolve_time_100k_vs_10_audit_rows", "ingest_queries_one_operation",
    "ingest_batch_operations_per_s", "ingest_total_row_lock_vs_whole_write", "ingest_batch_vs_bare_copy",
    "budget_decision_1m_vs_1k_ledger_rows",
    "current_period_1m_vs_1k_ledger_rows", "run_summary_10k_vs_hand_group_by", "run_summary_bytes_10k_vs_1k_job",
    "export_csv_vs_copy_to_stdout", "export_peak_rss_mb", "export_peak_rss_large_vs_small",
    "preferences_import_vs_bulk_create", "preferences_export_vs_values_json", "preferences_list_page_vs_values_json",
    "http_resolve_rps_vs_me",
    "http_operation_rps_vs_me", "http_hard_budget_64_clients",
} | {f"http_{e}_p99_at_64_vs_p50_at_16" for e in ("me", "resolve", "operation", "current_period", "run_summary")}


# Slow: gunicorn with four workers and wrk (in the `servers` group of tests/conftest.py).
@pytest.mark.slow
def test_every_benchmark_runs_at_tiny_sizes_and_prints_one_json_line_per_measure():
    # The benchmarks build their own database next to the tests' (`<name>_smoke` on PostgreSQL).
    env = {k: v for k, v in os.environ.items() if k != "BENCH_DATABASE_URL"}
    done = subprocess.run([sys.executable, "benchmarks/bench.py", "--scale", "0.001", "--rounds", "1",
                           "--seconds", "1", "--suffix", "_smoke"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    lines = done.stdout.strip().splitlines()
    assert done.returncode in (0, 1), done.stderr[-2000:]
    summary = re.fullmatch(r"(\d+) passed, (\d+) failed \(.*\)", lines[-1])
    assert summary, lines[-1]
    measures = [json.loads(line) for line in lines[:-1]]
    for measure in measures:
        assert set(measure) >= {"name", "value", "baseline", "ratio", "target", "ok", "rows"}, measure
        assert isinstance(measure["ok"], bool) and isinstance(measure["value"], int | float)
    assert {m["name"] for m in measures} == MEASURES, [m.get("note") for m in measures if "error" in m["name"]]
    assert int(summary[1]) + int(summary[2]) == len(measures)
    assert int(summary[2]) == sum(not m["ok"] for m in measures)
    assert (done.returncode == 1) == any(not m["ok"] for m in measures)
