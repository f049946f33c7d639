"""A computed amount is bounded like a given one: price × usage past the most one amount may be is a 422.

Each factor (a price of 10,000,000 per 1K tokens, 2,000,000,000 tokens) is within its own bound; their
product is not, and would overflow the ledger's money column on PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest

from aura_site.schemas import AMOUNT_MAX
from costs.models import BudgetTotal, CostOperation, Hold

pytestmark = pytest.mark.django_db
BASE = "/api/cost-tracking"
TOP_PRICE = 10_000_000
MOST_TOKENS = 2_000_000_000


@pytest.fixture
def dear_price(owner_api):
    response = owner_api.put(f"{BASE}/pricing/Dear", {"costPer1KInputTokens": TOP_PRICE,
                                                      "costPer1KOutputTokens": TOP_PRICE,
                                                      "costPer1KCachedInputTokens": 0})
    assert response.status_code == HTTPStatus.OK, response.json()


def _nothing_written() -> bool:
    return not CostOperation.objects.exists() and not BudgetTotal.objects.filter(spent__gt=0).exists()


def test_an_operation_whose_priced_cost_is_past_the_most_one_amount_may_be_is_a_422(dear_price, owner_api):
    response = owner_api.post(f"{BASE}/operations", {"idempotencyKey": "huge", "stage": "script", "provider": "Dear",
                                                     "inputTokens": MOST_TOKENS, "outputTokens": MOST_TOKENS})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "operations[0].cost"
    assert str(AMOUNT_MAX) in response.json()["errors"][0]["message"]
    assert _nothing_written()


def test_a_batch_with_one_operation_priced_past_the_bound_records_none_of_it(dear_price, owner_api):
    response = owner_api.post(f"{BASE}/operations", {"operations": [
        {"idempotencyKey": "fine", "stage": "script", "provider": "Dear", "inputTokens": 1},
        {"idempotencyKey": "huge", "stage": "script", "provider": "Dear", "outputTokens": MOST_TOKENS}]})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "operations[1].cost"
    assert _nothing_written()


def test_a_cache_hit_whose_saving_is_past_the_bound_is_a_422_naming_the_saving(dear_price, owner_api):
    response = owner_api.post(f"{BASE}/operations", {"idempotencyKey": "cached", "stage": "script",
                                                     "provider": "Dear", "inputTokens": MOST_TOKENS,
                                                     "cacheHit": True, "cost": 1})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "operations[0].costSaved"
    assert _nothing_written()


def test_an_operation_priced_exactly_at_the_bound_is_recorded(dear_price, owner_api):
    tokens = int(AMOUNT_MAX * 1000 / TOP_PRICE)
    response = owner_api.post(f"{BASE}/operations", {"idempotencyKey": "top", "stage": "script", "provider": "Dear",
                                                     "inputTokens": tokens})
    assert response.status_code == HTTPStatus.OK, response.json()
    assert CostOperation.objects.get().cost == AMOUNT_MAX


def test_a_hold_whose_plan_is_priced_past_the_bound_is_a_422_and_holds_nothing(dear_price, owner_api):
    response = owner_api.post(f"{BASE}/holds", {"jobId": "dear-run", "plan": [
        {"provider": "Dear", "inputTokens": MOST_TOKENS, "maxTokens": MOST_TOKENS}]})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "plan"
    assert not Hold.objects.exists()
    assert not BudgetTotal.objects.filter(held__gt=0).exists()


def test_a_plan_summing_past_the_bound_is_refused_though_each_item_is_within_it(dear_price, owner_api):
    tokens = int(AMOUNT_MAX * 1000 / TOP_PRICE)
    response = owner_api.post(f"{BASE}/holds", {"jobId": "two", "plan": [
        {"provider": "Dear", "inputTokens": tokens}, {"provider": "Dear", "inputTokens": 1000}]})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert not Hold.objects.exists()
    assert BudgetTotal.objects.filter(held__gt=0).count() == 0
    assert Decimal(owner_api.post(f"{BASE}/estimate", {"operations": [
        {"provider": "Dear", "inputTokens": tokens}]}).json()["estimatedCost"]) == AMOUNT_MAX
