"""The ledger: idempotent, never over a hard budget, alerts once per period, holds, constant queries."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.core import mail
from django.db import connection

from costs import configuration
from costs.models import Alert, BudgetTotal, CostOperation, Hold

BASE = "/api/cost-tracking"


def _op(key: str, cost: float = 1.0, provider: str = "OpenAI", **extra) -> dict:
    return {"idempotencyKey": key, "jobId": extra.pop("jobId", "job-1"), "stage": "script", "provider": provider,
            "cost": cost, **extra}


@pytest.mark.django_db
def test_the_same_batch_posted_twice_counts_each_operation_once(owner_api):
    batch = {"operations": [_op(f"k{i}", 0.5) for i in range(10)]}
    first = owner_api.post(f"{BASE}/operations", batch).json()
    second = owner_api.post(f"{BASE}/operations", batch).json()
    assert len(first["accepted"]) == 10 and first["duplicates"] == []
    assert second["accepted"] == [] and len(second["duplicates"]) == 10
    assert CostOperation.objects.count() == 10
    assert owner_api.get(f"{BASE}/current-period").json()["totalCost"] == 5.0


@pytest.mark.django_db
def test_a_key_repeated_inside_one_batch_counts_once(owner_api):
    result = owner_api.post(f"{BASE}/operations", {"operations": [_op("same"), _op("same")]}).json()
    assert len(result["accepted"]) == 1 and result["duplicates"] == ["same"]


@pytest.mark.django_db
def test_an_operation_is_priced_from_the_table_with_a_snapshot_that_later_prices_do_not_rewrite(owner_api):
    body = {"idempotencyKey": "p1", "stage": "script", "provider": "OpenAI", "model": "gpt-4o",
            "inputTokens": 2000, "outputTokens": 1000}
    accepted = owner_api.post(f"{BASE}/operations", body).json()["accepted"][0]
    assert accepted == {"idempotencyKey": "p1", "cost": 0.015, "costSaved": 0.0, "costSource": "priced"}
    owner_api.put(f"{BASE}/pricing/OpenAI/gpt-4o", {"costPer1KInputTokens": 1, "costPer1KOutputTokens": 1})
    row = CostOperation.objects.get(idempotency_key="p1")
    assert row.cost == Decimal("0.015") and row.price_snapshot["cost_per_1k_input_tokens"] == "0.002500"


@pytest.mark.django_db
def test_a_cache_hit_costs_what_the_provider_charges_and_records_the_saving(owner_api):
    body = {"idempotencyKey": "c1", "stage": "script", "provider": "OpenAI", "model": "gpt-4o",
            "inputTokens": 2000, "outputTokens": 1000, "cacheHit": True}
    accepted = owner_api.post(f"{BASE}/operations", body).json()["accepted"][0]
    assert accepted["cost"] == 0.0 and accepted["costSaved"] == 0.015


@pytest.mark.django_db
def test_an_unpriced_operation_without_a_cost_is_refused_naming_what_is_missing(owner_api):
    response = owner_api.post(f"{BASE}/operations", {"idempotencyKey": "u", "stage": "TTS", "provider": "Nowhere"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    error = response.json()["errors"][0]
    assert error["field"] == "operations[0].cost" and "no price" in error["message"]
    ok = owner_api.post(f"{BASE}/operations", {"idempotencyKey": "u", "stage": "TTS", "provider": "Nowhere",
                                               "cost": 0.2})
    assert ok.json()["accepted"][0]["costSource"] == "reported"


@pytest.mark.django_db
def test_a_batch_over_1000_is_refused(owner_api):
    response = owner_api.post(f"{BASE}/operations", {"operations": [_op(f"k{i}") for i in range(1001)]})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


@pytest.mark.django_db
def test_a_hard_limit_refuses_with_402_and_the_numbers_and_writes_nothing(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 10, "hardBudgetLimit": True})
    owner_api.post(f"{BASE}/operations", _op("a", 8))
    response = owner_api.post(f"{BASE}/operations", {"operations": [_op("b", 1), _op("c", 3)]})
    assert response.status_code == HTTPStatus.PAYMENT_REQUIRED
    body = response.json()
    assert (body["spent"], body["budget"], body["operationCost"]) == (9.0, 10.0, 3.0)
    assert CostOperation.objects.count() == 1


@pytest.mark.django_db
def test_a_provider_budget_is_a_hard_limit_too(owner_api):
    owner_api.put(f"{BASE}/configuration", {"providerBudgets": {"OpenAI": 2}, "hardBudgetLimit": True})
    assert owner_api.post(f"{BASE}/operations", _op("a", 3)).status_code == HTTPStatus.PAYMENT_REQUIRED
    assert owner_api.post(f"{BASE}/operations", _op("b", 3, provider="Anthropic")).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_a_soft_limit_accepts_with_a_warning(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 1, "hardBudgetLimit": False})
    result = owner_api.post(f"{BASE}/operations", _op("a", 3)).json()
    assert len(result["accepted"]) == 1 and "exceeded" in result["warnings"][0]


def _post_concurrently(api_client_for, user, bodies: list[dict]) -> list[int]:
    barrier = threading.Barrier(8)

    def post(body):
        client = api_client_for(user)
        barrier.wait()
        try:
            return client.post(f"{BASE}/operations", body).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(post, bodies))


@pytest.mark.django_db(transaction=True)
def test_eight_threads_never_push_a_hard_budget_past_its_limit(owner, api_client_for):
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("100.00"), "hard_budget_limit": True})
    bodies = [_op(f"t{i}", 3.00) for i in range(40)]
    statuses = []
    for chunk in range(0, 40, 8):
        statuses += _post_concurrently(api_client_for, owner, bodies[chunk:chunk + 8])
    assert set(statuses) <= {200, 402}
    assert statuses.count(200) == 33 and statuses.count(402) == 7
    total = sum(o.cost for o in CostOperation.objects.all())
    assert total == Decimal("99.00") <= Decimal("100.00")
    assert BudgetTotal.objects.get(scope="overall").spent == total


@pytest.mark.django_db(transaction=True)
def test_eight_threads_with_overlapping_keys_count_each_operation_once(owner, api_client_for):
    bodies = [{"operations": [_op(f"k{(t + i) % 12}", 1.0) for i in range(6)]} for t in range(8)]
    statuses = _post_concurrently(api_client_for, owner, bodies)
    assert set(statuses) <= {200, 409}
    assert CostOperation.objects.count() == 12
    assert BudgetTotal.objects.get(scope="overall").spent == Decimal("12")


@pytest.mark.django_db(transaction=True)
def test_with_a_soft_limit_all_concurrent_operations_are_accepted(owner, api_client_for):
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("10"), "hard_budget_limit": False})
    statuses = _post_concurrently(api_client_for, owner, [_op(f"s{i}", 3.0) for i in range(8)])
    assert statuses == [200] * 8
    assert BudgetTotal.objects.get(scope="overall").spent == Decimal("24")


@pytest.mark.django_db
def test_thresholds_alert_once_per_period_and_again_in_the_next(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 100, "alertThresholds": [50, 75, 90, 100],
                                            "alertFrequency": "Once"})
    with time_machine.travel(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC), tick=False):
        for i, cost in enumerate([40, 15, 25, 15, 10, 5]):
            owner_api.post(f"{BASE}/operations", _op(f"a{i}", cost))
        assert sorted(Alert.objects.values_list("threshold", flat=True)) == [50, 75, 90, 100]
    with time_machine.travel(dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC), tick=False):
        owner_api.post(f"{BASE}/operations", _op("next", 60))
        assert Alert.objects.count() == 5
        assert Alert.objects.first().threshold == 50
        listed = owner_api.get(f"{BASE}/alerts").json()["items"]
        assert listed[0]["threshold"] == 50 and listed[0]["acknowledgedAt"] is None
        acked = owner_api.post(f"{BASE}/alerts/{listed[0]['id']}/acknowledge").json()
        assert acked["acknowledgedBy"] == "owner"


@pytest.mark.django_db
def test_daily_alerts_repeat_the_next_day_and_every_time_alerts_each_operation(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 10, "alertThresholds": [50],
                                            "alertFrequency": "Daily"})
    with time_machine.travel(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC), tick=False):
        owner_api.post(f"{BASE}/operations", _op("d1", 6))
        owner_api.post(f"{BASE}/operations", _op("d2", 1))
    with time_machine.travel(dt.datetime(2026, 11, 11, 12, tzinfo=dt.UTC), tick=False):
        owner_api.post(f"{BASE}/operations", _op("d3", 1))
    assert Alert.objects.count() == 2
    owner_api.put(f"{BASE}/configuration", {"alertFrequency": "EveryTime"})
    with time_machine.travel(dt.datetime(2026, 11, 11, 13, tzinfo=dt.UTC), tick=False):
        owner_api.post(f"{BASE}/operations", _op("e1", 0.1))
        owner_api.post(f"{BASE}/operations", _op("e2", 0.1))
    assert Alert.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_alerts_are_emailed_when_enabled(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 10, "alertThresholds": [50],
                                            "emailNotificationsEnabled": True,
                                            "notificationEmail": "finance@example.com"})
    owner_api.post(f"{BASE}/operations", _op("m1", 6))
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["finance@example.com"] and "50%" in mail.outbox[0].subject


@pytest.mark.django_db
def test_a_hold_reserves_money_operations_draw_it_down_and_release_returns_the_rest(owner_api):
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 10, "hardBudgetLimit": True})
    response = owner_api.post(f"{BASE}/holds", {"jobId": "run-7", "amount": 6, "provider": "OpenAI"})
    assert response.status_code == HTTPStatus.CREATED
    period = owner_api.get(f"{BASE}/current-period").json()
    assert (period["held"], period["available"]) == (6.0, 4.0)
    assert owner_api.post(f"{BASE}/holds", {"jobId": "other", "amount": 5}).status_code == 402
    assert owner_api.post(f"{BASE}/operations", _op("x", 5, jobId="other")).status_code == 402
    owner_api.post(f"{BASE}/operations", _op("r1", 2, jobId="run-7"))
    period = owner_api.get(f"{BASE}/current-period").json()
    assert (period["totalCost"], period["held"], period["available"]) == (2.0, 4.0, 4.0)
    released = owner_api.delete(f"{BASE}/holds/run-7").json()
    assert released["remaining"] == 0 and released["releasedAt"]
    assert owner_api.get(f"{BASE}/current-period").json()["available"] == 8.0
    assert Hold.objects.get(job_id="run-7").amount == Decimal("6")


@pytest.mark.django_db
def test_a_hold_from_a_plan_uses_the_worst_case(owner_api):
    plan = [{"provider": "OpenAI", "model": "gpt-4o", "inputTokens": 1000, "maxTokens": 1000}]
    hold = owner_api.post(f"{BASE}/holds", {"jobId": "p", "plan": plan}).json()
    assert hold["amount"] == 0.0125 and hold["providerRemaining"] == {"OpenAI": 0.0125}


@pytest.mark.django_db
def test_an_estimate_answers_allow_warn_or_block_and_writes_nothing(owner_api):
    plan = {"operations": [{"provider": "OpenAI", "model": "gpt-4o", "inputTokens": 10000, "maxTokens": 10000},
                           {"provider": "Piper", "characters": 5000},
                           {"provider": "Mystery"}]}
    allowed = owner_api.post(f"{BASE}/estimate", plan).json()
    assert allowed["estimatedCost"] == 0.125 and allowed["decision"] == "allow"
    assert [u["provider"] for u in allowed["unpriced"]] == ["Mystery"]
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 0.1, "hardBudgetLimit": True})
    assert owner_api.post(f"{BASE}/estimate", plan).json()["decision"] == "block"
    owner_api.put(f"{BASE}/configuration", {"hardBudgetLimit": False})
    assert owner_api.post(f"{BASE}/estimate", plan).json()["decision"] == "warn"
    assert not CostOperation.objects.exists() and not BudgetTotal.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("existing", [0, 2000])
def test_recording_runs_a_constant_number_of_queries_whatever_the_ledger_size(
        owner_api, existing, django_assert_max_num_queries):
    CostOperation.objects.bulk_create([
        CostOperation(idempotency_key=f"old{i}", stage="script", provider="OpenAI", cost=Decimal("0.001"),
                      cost_source="reported") for i in range(existing)])
    owner_api.post(f"{BASE}/operations", _op("warm", 0.1))
    with django_assert_max_num_queries(16):
        assert owner_api.post(f"{BASE}/operations", _op("one", 0.1)).status_code == 200
    with django_assert_max_num_queries(16):
        batch = {"operations": [_op(f"b{i}", 0.1) for i in range(50)]}
        assert owner_api.post(f"{BASE}/operations", batch).status_code == 200
