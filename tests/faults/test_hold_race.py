"""Sixteen concurrent hold requests for one job: one hold, the rest 409; release frees exactly what was held."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from costs import configuration
from costs.models import BudgetTotal, Hold

BASE = "/api/cost-tracking"
THREADS = 16


def _create_concurrently(api_client_for, user, job_id: str) -> list[int]:
    clients = [api_client_for(user) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def create(client):
        barrier.wait()
        try:
            return client.post(f"{BASE}/holds", {"jobId": job_id, "amount": 10, "provider": "OpenAI"}).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(create, clients))


def _held() -> dict[str, Decimal]:
    return {f"{t.scope}:{t.key}": t.held for t in BudgetTotal.objects.all()}


@pytest.mark.django_db(transaction=True)
def test_sixteen_parallel_creates_give_one_hold_and_release_leaves_nothing_held(owner, owner_api, api_client_for):
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("1000"), "hard_budget_limit": True})

    statuses = _create_concurrently(api_client_for, owner, "race-job")

    assert sorted(statuses) == [201] + [409] * (THREADS - 1)
    assert Hold.objects.filter(job_id="race-job").count() == 1
    assert _held() == {"overall:": Decimal("10.00"), "provider:OpenAI": Decimal("10.00")}
    assert owner_api.delete(f"{BASE}/holds/race-job").status_code == 200
    assert set(_held().values()) == {Decimal("0")}

    # A released job may be held again, and the same race gives one hold again.
    statuses = _create_concurrently(api_client_for, owner, "race-job")

    assert sorted(statuses) == [201] + [409] * (THREADS - 1)
    assert _held() == {"overall:": Decimal("10.00"), "provider:OpenAI": Decimal("10.00")}
    owner_api.delete(f"{BASE}/holds/race-job")
    assert set(_held().values()) == {Decimal("0")}
