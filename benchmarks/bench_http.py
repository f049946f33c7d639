"""HTTP under load: gunicorn (4 sync workers) driven by `wrk` from a second process on 127.0.0.1.

Requests/s of each endpoint against `GET /api/me` in the same minute, tail latency at 64 clients against
the median at 16, and the hard budget under 64 concurrent writers.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from benchmarks.harness import ROOT, Harness, analyze, api_user_token, main, seed_operations

SCRIPT = """
local tid = 0
local method, body_template, token = "GET", "", ""
function setup(thread)
  thread:set("tid", tid)
  tid = tid + 1
end
function init(args)
  method, token, body_template = args[1], args[2], args[3] or ""
  counter = 0
end
function request()
  counter = counter + 1
  local body = nil
  if method == "POST" then
    body = string.gsub(body_template, "{n}", tostring(tid) .. "-" .. tostring(counter))
  end
  return wrk.format(method, nil, {["Authorization"] = "Bearer " .. token,
                                  ["Content-Type"] = "application/json"}, body)
end
"""


@dataclass
class Load:
    rps: float
    p50: float
    p99: float
    requests: int
    failed: int  # socket errors, timeouts and non-2xx responses


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, script: Path, args: list[str], connections: int, seconds: float) -> Load:
    """One load run; afterwards the server is drained, so runs do not leak into each other."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "--latency",
         "-s", str(script), url, "--", *args], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = (sum(int(g) for g in errors.groups()) if errors else 0) + (int(non_2xx.group(1)) if non_2xx else 0)
    drain(url.split("/api/", 1)[0])
    return Load(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), _seconds(latency["50"]),
                _seconds(latency["99"]), requests, failed)


def drain(base: str, limit: float = 60.0) -> None:
    """Wait until the server has worked off requests wrk abandoned (sync workers finish them anyway)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            urllib.request.urlopen(f"{base}/api/me", timeout=limit)
        except urllib.error.HTTPError:
            pass
        except OSError:
            time.sleep(0.2)
            continue
        if time.monotonic() - started < 0.25:
            return


STARTUP_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(database_url: str, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "aura_site.wsgi", "-b", f"127.0.0.1:{port}", "-w", "4",
         "--worker-class", "sync", "--timeout", "30", "--preload", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    # The app is loaded once before the workers fork (--preload): four workers each importing Django on a busy
    # 2-core machine could stay silent past the 30 s worker timeout and be killed and started again, endlessly.
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before answering")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/me", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # 401: it answers
        except OSError:
            time.sleep(0.3)
    else:
        server.terminate()
        raise RuntimeError(f"gunicorn did not start within {STARTUP_SECONDS} s")
    return server


def run(h: Harness) -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run `make wrk` (Debian's wrk)")
    from costs.models import BudgetTotal, CostOperation

    token = api_user_token()
    seed_operations("http-summary", h.size("summary_job"))
    analyze()
    op = ('{"idempotencyKey": "load-{n}", "jobId": "http-load", "stage": "script", "provider": "OpenAI", '
          '"cost": 0.0001}')
    endpoints = {
        "me": ("/api/me", ["GET", token]),
        "resolve": ("/api/models/resolve", ["POST", token, "{}"]),
        "operation": ("/api/cost-tracking/operations", ["POST", token, op]),
        "current_period": ("/api/cost-tracking/current-period", ["GET", token]),
        "run_summary": ("/api/cost-tracking/run-summary/http-summary", ["GET", token]),
    }
    port = _free_port()
    server = gunicorn(os.environ["DATABASE_URL"], port)
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "load.lua"
        script.write_text(SCRIPT)
        base = f"http://127.0.0.1:{port}"
        try:
            loads: dict[str, list[Load]] = {name: [] for name in endpoints}
            for _ in range(max(1, min(3, h.rounds))):  # interleaved rounds: each ratio in the same minute
                for name, (path, args) in endpoints.items():
                    loads[name].append(wrk(base + path, script, args, 16, h.seconds))
            rps = {name: statistics.median(load.rps for load in runs) for name, runs in loads.items()}
            h.report("http_resolve_rps_vs_me", rps["resolve"], rps["me"], least=0.7,
                     rows=sum(r.requests for r in loads["resolve"]))
            h.report("http_operation_rps_vs_me", rps["operation"], rps["me"], least=0.5,
                     rows=sum(r.requests for r in loads["operation"]))
            for name, (path, args) in endpoints.items():
                crowd = wrk(base + path, script, args, 64, h.seconds)
                p50 = statistics.median(load.p50 for load in loads[name])
                failed = crowd.failed + sum(load.failed for load in loads[name])
                h.report(f"http_{name}_p99_at_64_vs_p50_at_16", crowd.p99, p50, most=10.0, rows=crowd.requests,
                         ok=failed == 0 and crowd.requests > 0 and crowd.p99 <= 10 * p50,
                         note=f"{failed} failed requests" if failed else f"{rps[name]:.0f} requests/s at 16, "
                                                                          f"{crowd.rps:.0f} at 64")
            _hard_budget(h, base, script, token, BudgetTotal, CostOperation)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _hard_budget(h, base, script, token, BudgetTotal, CostOperation) -> None:
    from django.utils import timezone

    from costs.configuration import configuration_get, configuration_update
    from costs.periods import period_window

    config = configuration_get()
    start = period_window(config, timezone.now())[0]
    row = BudgetTotal.objects.filter(period_start=start, scope=BudgetTotal.OVERALL, key="").first()
    before = (row.spent + row.held) if row else Decimal(0)
    configuration_update(data={"overall_monthly_budget": before + Decimal("99.00"), "hard_budget_limit": True})
    body = ('{"idempotencyKey": "hard-{n}", "jobId": "http-hard", "stage": "script", "provider": "OpenAI", '
            '"cost": 3.00}')
    wrk(f"{base}/api/cost-tracking/operations", script, ["POST", token, body], 64, max(2.0, h.seconds / 2))
    same = ('{"idempotencyKey": "same-key", "jobId": "http-same", "stage": "script", "provider": "OpenAI", '
            '"cost": 0}')
    wrk(f"{base}/api/cost-tracking/operations", script, ["POST", token, same], 32, 1)
    total = BudgetTotal.objects.get(period_start=start, scope=BudgetTotal.OVERALL, key="").spent
    ledger = sum(CostOperation.objects.filter(job_id="http-hard").values_list("cost", flat=True), Decimal(0))
    accepted = CostOperation.objects.filter(job_id="http-hard").count()
    same_count = CostOperation.objects.filter(idempotency_key="same-key").count()
    exact = ledger == Decimal("99.00") and accepted == 33 and total - before == ledger and same_count == 1
    h.report("http_hard_budget_64_clients", float(ledger), 99.0, ok=exact, rows=accepted,
             note=f"{accepted} x 3.00 accepted; running total +{total - before}; same key counted {same_count}x")
    configuration_update(data={"overall_monthly_budget": None, "hard_budget_limit": False})


if __name__ == "__main__":
    main(run)
