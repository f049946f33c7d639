"""The API answers as its contract says: field paths, malformed ids, page sizes, empty runs, times, zero."""

from __future__ import annotations

import math
import uuid
from http import HTTPStatus

import pytest
from jsonschema_rs import Draft202012Validator

from costs.models import CostOperation
from models_selection.runs.models import Job, JobStatus

from .test_contract import assert_error_shape

pytestmark = pytest.mark.django_db

OPERATIONS = "/api/cost-tracking/operations"


def _op(key: str = "k", **extra) -> dict:
    return {"idempotencyKey": key, "stage": "script", "provider": "OpenAI", "cost": 1, **extra}


def _answer_schema(owner_api, path: str, method: str = "get") -> dict:
    """The declared 200 body of a route, with the document's components so its references resolve."""
    document = owner_api.get("/api/openapi.json").json()
    answer = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return {**answer, "components": document["components"]}


# --- validation errors name the body's own paths ---------------------------------------------------------


def test_a_bad_field_of_one_operation_is_named_by_its_body_path(owner_api):
    response = owner_api.post(OPERATIONS, _op(cost=-1))

    assert [e["field"] for e in assert_error_shape(response, 422)["errors"]] == ["cost"]


def test_a_bad_field_in_a_batch_is_named_by_its_index(owner_api):
    response = owner_api.post(OPERATIONS, {"operations": [_op("a"), _op("b", cost="many")]})

    body = assert_error_shape(response, 422)
    assert [e["field"] for e in body["errors"]] == ["operations[1].cost"]
    assert body["detail"] == "Validation failed: operations[1].cost: Input should be a valid decimal"


# --- a malformed id is as unknown as a well-formed one ---------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/user-preferences/audience-profiles/{}"),
    ("put", "/api/user-preferences/audience-profiles/{}"),
    ("delete", "/api/user-preferences/filtering-policies/{}"),
    ("post", "/api/user-preferences/audience-profiles/{}/select"),
    ("get", "/api/cost-tracking/exports/{}"),
    ("get", "/api/cost-tracking/exports/{}/download"),
    ("get", "/api/cost-tracking/webhooks/{}"),
    ("post", "/api/cost-tracking/alerts/{}/acknowledge"),
])
def test_a_malformed_id_in_a_path_is_a_404_like_an_unknown_one(owner_api, method, path):
    unknown = 987654 if "webhooks" in path or "alerts" in path else uuid.uuid4()
    body = {"name": "x"} if method == "put" else None

    malformed = getattr(owner_api, method)(path.format("non-existent-id"), body)
    well_formed = getattr(owner_api, method)(path.format(unknown), body)

    assert well_formed.status_code == HTTPStatus.NOT_FOUND, well_formed.content
    detail = assert_error_shape(malformed, 404)["detail"]
    assert "'non-existent-id' is not a valid" in detail


# --- the runs list ---------------------------------------------------------------------------------------


def test_the_runs_list_pages_up_to_a_thousand_and_answers_its_declared_schema(owner_api):
    Job.objects.bulk_create([Job(brief=f"brief {i}", status=JobStatus.PLANNED) for i in range(3)])

    response = owner_api.get("/api/jobs?limit=1000")
    too_many = owner_api.get("/api/jobs?limit=1001")

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["count"] == 3
    Draft202012Validator(_answer_schema(owner_api, "/api/jobs")).validate(response.json())
    assert_error_shape(too_many, 422)


# --- a run with nothing recorded -------------------------------------------------------------------------


def test_a_run_without_operations_reports_zero_cost_with_empty_breakdowns(owner_api):
    response = owner_api.get("/api/cost-tracking/run-summary/job-without-operations")

    assert response.status_code == HTTPStatus.OK, response.content
    summary = response.json()
    assert summary["jobId"] == "job-without-operations" and summary["totalCost"] == 0 and summary["currency"]
    assert summary["costByStage"] == {} and summary["costByProvider"] == {} and summary["operations"] == []
    assert summary["tokenStats"]["operationCount"] == 0 and summary["optimizationSuggestions"] == []
    path = "/api/cost-tracking/run-summary/{job_id}"
    Draft202012Validator(_answer_schema(owner_api, path)).validate(summary)


# --- times carry their offset ----------------------------------------------------------------------------


def test_an_operation_time_without_a_utc_offset_is_refused(owner_api):
    single = owner_api.post(OPERATIONS, _op(timestamp="2026-12-01T10:00:00"))
    batch = owner_api.post(OPERATIONS, {"operations": [_op(timestamp="2026-12-01T10:00:00")]})
    aware = owner_api.post(OPERATIONS, _op(timestamp="2026-12-01T10:00:00+01:00"))

    assert assert_error_shape(single, 422)["errors"] == [
        {"field": "timestamp", "message": "must include a UTC offset (such as Z or +01:00)"}]
    assert [e["field"] for e in assert_error_shape(batch, 422)["errors"]] == ["operations[0].timestamp"]
    assert aware.status_code == HTTPStatus.OK
    assert CostOperation.objects.get().timestamp.isoformat() == "2026-12-01T09:00:00+00:00"


def test_an_export_range_without_a_utc_offset_is_refused(owner_api):
    response = owner_api.post("/api/cost-tracking/export/all?format=csv&from=2026-12-01T00:00:00")

    assert [e["field"] for e in assert_error_shape(response, 422)["errors"]] == ["from"]


# --- negative zero ---------------------------------------------------------------------------------------


def _negative_zeros(value) -> list:
    """Every -0.0 in a parsed JSON document."""
    if isinstance(value, dict):
        return [z for item in value.values() for z in _negative_zeros(item)]
    if isinstance(value, list):
        return [z for item in value for z in _negative_zeros(item)]
    return [value] if isinstance(value, float) and value == 0 and math.copysign(1, value) < 0 else []


def test_negative_zero_is_read_as_zero(owner_api):
    recorded = owner_api.post(OPERATIONS, _op(cost=-0.0))
    price = owner_api.put("/api/cost-tracking/pricing/Zero", {"costPer1KInputTokens": -0.0,
                                                              "costPer1KOutputTokens": "-0.000"})

    assert recorded.status_code == price.status_code == HTTPStatus.OK
    assert _negative_zeros(recorded.json()) == [] and _negative_zeros(price.json()) == []
    assert recorded.json()["accepted"][0]["cost"] == 0
    assert not CostOperation.objects.get().cost.is_signed()
