"""Who spent it, and the daily rollups: equal to the ledger's GROUP BY whatever the data and time zone."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from aura_site.models import ApiToken
from costs import configuration, ledger
from costs.models import BudgetTotal, CostOperation, CostRollup
from costs.rollups import micros, rollups_rebuild
from models_selection.runs.models import Job

pytestmark = pytest.mark.django_db
BASE = "/api/cost-tracking"


def _op(key: str, cost: float = 1.0, **extra) -> dict:
    return {"idempotencyKey": key, "stage": "script", "provider": "OpenAI", "cost": cost, **extra}


def test_an_operation_posted_with_a_token_records_the_token_and_its_owner(owner, owner_api):
    owner_api.post(f"{BASE}/operations", _op("t1"))
    row = CostOperation.objects.get(idempotency_key="t1")
    assert row.user_id == owner.pk
    assert row.api_token_id == ApiToken.objects.get(user=owner).pk


def test_an_operation_posted_from_a_signed_in_session_records_the_user_and_no_token(owner):
    client = Client()
    client.force_login(owner)
    response = client.post(f"{BASE}/operations", _op("s1"), content_type="application/json")
    assert response.status_code == 200, response.content
    row = CostOperation.objects.get(idempotency_key="s1")
    assert (row.user_id, row.api_token_id) == (owner.pk, None)


def test_a_runs_operations_metered_without_a_caller_are_charged_to_the_runs_creator(owner, viewer):
    job = Job.objects.create(brief="b", status="Planned", created_by=viewer)
    ledger.operations_record(operations=[
        {"idempotency_key": "r1", "job_id": job.id, "stage": "script", "provider": "OpenAI", "cost": 1},
        {"idempotency_key": "r2", "job_id": "not-a-run", "stage": "script", "provider": "OpenAI", "cost": 1},
    ])
    assert dict(CostOperation.objects.values_list("idempotency_key", "user_id")) == {"r1": viewer.pk, "r2": None}


def test_the_caller_wins_over_the_runs_creator(owner, viewer):
    job = Job.objects.create(brief="b", status="Planned", created_by=viewer)
    ledger.operations_record(operations=[{"idempotency_key": "r1", "job_id": job.id, "stage": "script",
                                            "provider": "OpenAI", "cost": 1}], user=owner)
    assert CostOperation.objects.get().user_id == owner.pk


def test_a_client_cannot_claim_another_user(owner_api, viewer):
    response = owner_api.post(f"{BASE}/operations", _op("x", userId=viewer.pk))
    assert response.status_code == 422


def test_ingest_adds_to_the_rollups_in_one_statement_and_a_retry_adds_nothing(owner, owner_api):
    batch = {"operations": [_op("a", 0.25), _op("b", 0.5, model="gpt-4o"), _op("c", 0.125)]}
    owner_api.post(f"{BASE}/operations", batch)
    owner_api.post(f"{BASE}/operations", batch)
    rows = {(r.model, r.user_key): (r.cost_micros, r.operations) for r in CostRollup.objects.all()}
    assert rows == {("", owner.pk): (375_000, 2), ("gpt-4o", owner.pk): (500_000, 1)}


def test_a_rejected_batch_leaves_the_rollups_untouched(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 1, "hardBudgetLimit": True})
    response = owner_api.post(f"{BASE}/operations", {"operations": [_op("a", 0.75), _op("b", 0.5)]})
    assert response.status_code == 402
    assert not CostRollup.objects.exists() and not CostOperation.objects.exists()


def _grouped_ledger(zone: str) -> dict:
    """The raw ledger's GROUP BY day (in the zone) × provider × model × stage × project × user."""
    rows = (CostOperation.objects.annotate(day=TruncDate("timestamp", tzinfo=ZoneInfo(zone)))
            .values("day", "provider", "model", "stage", "project_id", "user_id")
            .annotate(cost=Sum("cost"), saved=Sum("cost_saved"), n=Count("id"), tin=Sum("input_tokens")))
    return {(r["day"], r["provider"], r["model"], r["stage"], r["project_id"], r["user_id"] or 0):
            (micros(r["cost"]), micros(r["saved"]), r["n"], r["tin"]) for r in rows}


def _rollups() -> dict:
    return {(r.day, r.provider, r.model, r.stage, r.project_id, r.user_key):
            (r.cost_micros, r.saved_micros, r.operations, r.input_tokens) for r in CostRollup.objects.all()}


# Moments around midnights and month/week starts, in UTC; the zones put those edges elsewhere.
EDGE_BASE = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.UTC)
moments = st.one_of(
    st.integers(min_value=-3 * 3600, max_value=3 * 3600).map(lambda s: EDGE_BASE + dt.timedelta(seconds=s)),
    st.integers(min_value=0, max_value=40 * 24 * 3600).map(lambda s: EDGE_BASE + dt.timedelta(seconds=s)),
    st.sampled_from([EDGE_BASE + dt.timedelta(hours=h, microseconds=m) for h in (1, 5, 11, 13, 14)
                     for m in (-1, 0)]),
)
operation = st.fixed_dictionaries({
    "timestamp": moments,
    "provider": st.sampled_from(["OpenAI", "Anthropic", "openai"]),
    "model": st.sampled_from(["", "gpt-4o", "claude"]),
    "stage": st.sampled_from(["script", "visual"]),
    "project_id": st.sampled_from(["", "p1", "p2"]),
    "cost": st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False),
    "input_tokens": st.integers(min_value=0, max_value=10_000),
    "who": st.integers(min_value=0, max_value=2),
})


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(operation, min_size=1, max_size=12), min_size=1, max_size=4),
       zone=st.sampled_from(["UTC", "America/New_York", "Pacific/Kiritimati", "Asia/Kolkata"]))
def test_rollups_equal_the_ledgers_group_by_for_any_data_and_time_zone(batches, zone, settings, owner, viewer):
    settings.TIME_ZONE = zone
    CostOperation.objects.all().delete()
    CostRollup.objects.all().delete()
    BudgetTotal.objects.all().delete()
    users = [None, owner, viewer]
    counter = 0
    for batch in batches:
        by_user: dict[int, list] = {}
        for op in batch:
            counter += 1
            by_user.setdefault(op["who"], []).append({
                "idempotency_key": f"k{counter}", "timestamp": op["timestamp"], "provider": op["provider"],
                "model": op["model"], "stage": op["stage"], "project_id": op["project_id"], "cost": op["cost"],
                "input_tokens": op["input_tokens"]})
        for who, ops in by_user.items():
            ledger.operations_record(operations=ops, user=users[who])
    expected = _grouped_ledger(zone)
    assert _rollups() == expected
    assert sum(v[0] for v in expected.values()) == micros(sum(Decimal(o["cost"]) for b in batches for o in b))
    rollups_rebuild()
    assert _rollups() == expected


def test_the_rebuild_command_recomputes_rollups_after_a_time_zone_change(settings, owner_api):
    settings.TIME_ZONE = "UTC"
    owner_api.post(f"{BASE}/operations", _op("late", 1, timestamp="2026-11-10T23:30:00Z"))
    assert list(CostRollup.objects.values_list("day", flat=True)) == [dt.date(2026, 11, 10)]
    settings.TIME_ZONE = "Asia/Tokyo"
    call_command("rebuild_cost_rollups")
    assert list(CostRollup.objects.values_list("day", flat=True)) == [dt.date(2026, 11, 11)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_over_the_same_groups_add_up_exactly(owner, api_client_for, settings):
    """No budget period in force (nothing else serialises the writers), keys in opposite orders."""
    settings.TIME_ZONE = "UTC"
    configuration.configuration_update(data={"period_type": "Custom", "custom_start": dt.date(2020, 1, 1),
                                        "custom_end": dt.date(2020, 1, 2)})
    groups = [{"stage": s, "provider": p, "model": m} for s in ("script", "visual") for p in ("OpenAI", "Gemini")
              for m in ("a", "b")]
    barrier = threading.Barrier(8)

    def post(worker: int) -> int:
        client = api_client_for(owner)
        ordered = groups if worker % 2 else list(reversed(groups))
        body = {"operations": [{"idempotencyKey": f"w{worker}-{i}", "cost": 0.125, **g}
                               for i, g in enumerate(ordered * 3)]}
        barrier.wait()
        try:
            return client.post(f"{BASE}/operations", body).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(8)))
    assert statuses == [200] * 8
    assert CostOperation.objects.count() == 8 * 24
    assert _rollups() == _grouped_ledger("UTC")
    assert sum(r.operations for r in CostRollup.objects.all()) == 192
