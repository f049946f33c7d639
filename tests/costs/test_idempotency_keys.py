"""An idempotency key names one operation: an identical retry is a duplicate, a different body is a 409."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest

from aura_site.errors import Conflict
from costs import ledger
from costs.models import BudgetTotal, CostOperation

pytestmark = pytest.mark.django_db

OPERATIONS = "/api/cost-tracking/operations"


def _op(key: str, cost: float | None = 1.25, **extra) -> dict:
    body = {"idempotencyKey": key, "jobId": "job-1", "stage": "script", "provider": "OpenAI", **extra}
    if cost is not None:
        body["cost"] = cost
    return body


def _spent() -> Decimal:
    return BudgetTotal.objects.get(scope="overall").spent


def test_an_identical_retry_is_acknowledged_as_a_duplicate(owner_api):
    first = owner_api.post(OPERATIONS, _op("k", timestamp="2026-12-01T10:00:00Z"))
    retry = owner_api.post(OPERATIONS, _op("k", timestamp="2026-12-01T11:00:00+01:00"))  # the same instant

    assert first.status_code == retry.status_code == HTTPStatus.OK
    assert retry.json()["duplicates"] == ["k"] and retry.json()["accepted"] == []
    assert CostOperation.objects.count() == 1 and _spent() == Decimal("1.25")


def test_the_same_key_with_another_cost_is_a_conflict_naming_the_key(owner_api):
    owner_api.post(OPERATIONS, _op("k"))

    response = owner_api.post(OPERATIONS, _op("k", cost=50))

    assert response.status_code == HTTPStatus.CONFLICT
    body = response.json()
    assert "'k'" in body["detail"] and "new key" in body["detail"]
    assert body["errors"] == [{"field": "operations[0].idempotencyKey",
                               "message": "'k' was already used for another operation (cost differ)"}]
    assert CostOperation.objects.get().cost == Decimal("1.25") and _spent() == Decimal("1.25")


@pytest.mark.parametrize(("change", "field"), [
    ({"inputTokens": 10}, "inputTokens"),
    ({"jobId": "job-2"}, "jobId"),
    ({"stage": "visual"}, "stage"),
    ({"cacheHit": True}, "cacheHit"),
    ({"cost": None}, "cost"),  # first reported, now left to the prices
    ({"timestamp": "2026-12-01T10:00:00Z"}, "timestamp"),
])
def test_any_changed_field_of_the_body_is_a_conflict(owner_api, change, field):
    first = _op("k", timestamp="2026-12-02T10:00:00Z", model="gpt-4o")  # a priced model
    owner_api.post(OPERATIONS, first)
    body = {k: v for k, v in {**first, **change}.items() if v is not None}

    response = owner_api.post(OPERATIONS, body)

    assert response.status_code == HTTPStatus.CONFLICT, response.content
    assert f"({field} differ)" in response.json()["errors"][0]["message"]


def test_a_retry_without_its_timestamp_or_priced_again_after_a_price_change_is_still_a_duplicate(owner_api):
    owner_api.put("/api/cost-tracking/pricing/OpenAI/gpt-4o", {"costPer1KInputTokens": 1, "costPer1KOutputTokens": 1})
    priced = _op("p", cost=None, model="gpt-4o", inputTokens=1000)
    assert owner_api.post(OPERATIONS, priced).json()["accepted"][0]["cost"] == 1.0
    owner_api.post(OPERATIONS, _op("t", timestamp="2026-12-01T10:00:00Z"))
    owner_api.put("/api/cost-tracking/pricing/OpenAI/gpt-4o", {"costPer1KInputTokens": 2, "costPer1KOutputTokens": 2})

    again = owner_api.post(OPERATIONS, {"operations": [priced, _op("t")]})

    assert again.status_code == HTTPStatus.OK, again.content
    assert again.json()["duplicates"] == ["p", "t"]


def test_a_batch_reusing_one_key_for_another_operation_records_nothing(owner_api):
    owner_api.post(OPERATIONS, _op("old"))

    response = owner_api.post(OPERATIONS, {"operations": [_op("new-1"), _op("old", cost=50), _op("new-2")]})

    assert response.status_code == HTTPStatus.CONFLICT
    assert [e["field"] for e in response.json()["errors"]] == ["operations[1].idempotencyKey"]
    assert list(CostOperation.objects.values_list("idempotency_key", flat=True)) == ["old"]
    assert _spent() == Decimal("1.25")


def test_a_key_repeated_inside_a_batch_with_another_body_is_a_conflict_and_identical_repeats_are_not(owner_api):
    conflicting = owner_api.post(OPERATIONS, {"operations": [_op("a"), _op("b"), _op("a", cost=2)]})
    identical = owner_api.post(OPERATIONS, {"operations": [_op("a"), _op("b"), _op("a")]})

    assert conflicting.status_code == HTTPStatus.CONFLICT
    assert [e["field"] for e in conflicting.json()["errors"]] == ["operations[2].idempotencyKey"]
    assert identical.status_code == HTTPStatus.OK and identical.json()["duplicates"] == ["a"]
    assert CostOperation.objects.count() == 2


def test_the_service_refuses_a_reused_key_for_every_caller():
    ledger.operations_record(operations=[{"idempotency_key": "s", "stage": "script", "provider": "OpenAI",
                                            "cost": Decimal("1.25")}])
    with pytest.raises(Conflict):
        ledger.operations_record(operations=[{"idempotency_key": "s", "stage": "script", "provider": "OpenAI",
                                                "cost": Decimal("50")}])
    assert ledger.operations_record(operations=[{"idempotency_key": "s", "stage": "script", "provider": "OpenAI",
                                                   "cost": Decimal("1.250000")}]).duplicates == ["s"]
