"""Every hostile request found against the API answers a 4xx in the error shape and writes nothing.

Table-driven: nulls, NUL bytes in paths, query strings and bodies, numbers past every bound, deeply
nested imports, bad import timestamps, full-object PUTs, money in two currencies, budget warnings.
"""

from __future__ import annotations

import json
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.apps import apps
from django.test import Client

from costs.models import BudgetTotal, CostConfiguration, CostOperation, Price
from preferences.kinds import KINDS

pytestmark = pytest.mark.django_db

HUGE = "267254713501937795072"
WRITTEN_MODELS = [
    "costs.CostConfiguration", "costs.Price", "costs.PriceChange", "costs.CostOperation", "costs.BudgetTotal",
    "costs.Hold", "costs.ExportJob", "costs.Alert", "runs.Job", "models_selection.ModelSelection",
    "models_selection.SelectionChange", "models_selection.Provider", "models_selection.ResolutionAudit",
    *[f"preferences.{k.model.__name__}" for k in KINDS],
]


def snapshot() -> dict[str, list]:
    """Every row (as its values) of every model a request could write."""
    return {name: sorted(map(repr, apps.get_model(name).objects.values_list())) for name in WRITTEN_MODELS}


def assert_error_shape(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    if status is not None:
        assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body


LISTS = [f"/api/user-preferences/{k.slug}" for k in KINDS] + [
    "/api/models/audit-log", "/api/models/selection/history", "/api/models/providers",
    "/api/cost-tracking/pricing", "/api/cost-tracking/alerts",
]

# (method, path, body): each must be refused with a 4xx and write nothing.
HOSTILE = [
    *[("get", f"{path}?offset={HUGE}", None) for path in LISTS],
    *[("get", f"{path}?limit={HUGE}", None) for path in LISTS],
    *[("get", f"{path}?limit=1001", None) for path in LISTS],
    ("get", "/api/jobs/a%00b", None),
    ("get", "/api/cost-tracking/run-summary/a%00b", None),
    ("get", "/api/user-preferences/prompt-templates/variant-groups/a%00b", None),
    ("get", "/api/user-preferences/audience-profiles?q=a%00b", None),
    ("get", "/api/models/audit-log?jobId=a%00b", None),
    ("get", "/api/models/audit-log?stage=%00", None),
    ("put", "/api/cost-tracking/pricing/Open%00AI", {"costPer1KInputTokens": 1, "costPer1KOutputTokens": 1}),
    ("put", "/api/cost-tracking/pricing/OpenAI/gpt%00x", {"costPer1KInputTokens": 1, "costPer1KOutputTokens": 1}),
    ("put", "/api/cost-tracking/pricing/OpenAI", {"notes": "a\u0000b"}),
    ("put", "/api/models/providers/a%00b", {"enabled": True}),
    ("put", "/api/models/providers/OpenAI", {"baseUrl": "https://x\u0000.example"}),
    ("post", "/api/cost-tracking/holds", {"jobId": "a\u0000b", "amount": 1}),
    ("delete", "/api/cost-tracking/holds/a%00b", None),
    ("post", "/api/cost-tracking/export/a%00b", None),
    ("post", "/api/cost-tracking/export/all?format=c%00sv", None),
    ("post", "/api/jobs", {"brief": "a\u0000b"}),
    ("post", "/api/models/selection", {"provider": "OpenAI", "modelId": "gpt-4o", "scope": "Project",
                                       "projectId": "p\u0000"}),
    ("post", "/api/user-preferences/audience-profiles", {"name": "x\u0000y"}),
    ("post", "/api/user-preferences/import", {"jsonData": "{\"version\": \"1.0\", \"x\u0000\": 1}"}),
    ("post", "/api/cost-tracking/operations", {"idempotencyKey": "k", "stage": "s", "provider": "OpenAI",
                                               "cost": 1, "jobId": "j\u0000"}),
    ("post", "/api/cost-tracking/operations", {"idempotencyKey": "k", "stage": "s", "provider": "OpenAI",
                                               "cost": "99999999.999999"}),
    ("post", "/api/cost-tracking/operations", {"operations": [
        {"idempotencyKey": f"k{i}", "stage": "s", "provider": "OpenAI", "cost": 9_999_999} for i in range(11)]}),
    ("post", "/api/cost-tracking/holds", {"jobId": "j", "amount": "99999999.999999"}),
    ("put", "/api/cost-tracking/configuration", {"overallMonthlyBudget": "1e999"}),
    ("put", "/api/cost-tracking/configuration", {"providerBudgets": {"OpenAI": 1e300}}),
    ("put", "/api/cost-tracking/configuration", {"alertThresholds": [int(HUGE)]}),
    ("put", "/api/cost-tracking/pricing/OpenAI", {"costPer1KInputTokens": 99999999999999999999}),
    ("post", f"/api/cost-tracking/alerts/{HUGE}/acknowledge", None),
    ("post", "/api/user-preferences/ai-behavior", {"name": "big", "maxTokens": int(HUGE)}),
    ("post", "/api/user-preferences/audience-profiles", {"name": "n" * 201}),
    ("post", "/api/cost-tracking/optimize-budget", {"budgetLimit": HUGE}),
    ("post", "/api/cost-tracking/estimate", {"operations": [{"provider": "OpenAI", "inputTokens": int(HUGE)}]}),
    ("post", "/api/user-preferences/import", {"jsonData": "[" * 5000 + "]" * 5000}),
    ("post", "/api/user-preferences/import", {"jsonData": "{" * 3000 + "}" * 3000}),
]


def _send(api, method, path, body):
    return getattr(api, method)(path, body) if body is not None or method != "get" else api.get(path)


@pytest.mark.parametrize(("method", "path", "body"), HOSTILE, ids=[f"{m} {p} {str(b)[:40]}" for m, p, b in HOSTILE])
def test_a_hostile_request_is_a_4xx_in_the_error_shape_and_writes_nothing(owner_api, method, path, body):
    before = snapshot()
    response = _send(owner_api, method, path, body)
    assert_error_shape(response)
    assert snapshot() == before


@pytest.mark.parametrize("stamp", [-1, True, [1], {}, 1e20, "not a date"])
@pytest.mark.parametrize("field", ["createdAt", "updatedAt"])
def test_an_import_timestamp_of_the_wrong_type_is_a_422_naming_the_item(owner_api, stamp, field):
    document = {"version": "1.0", "audienceProfiles": [{"name": "Imported", field: stamp}]}
    before = snapshot()
    response = owner_api.post("/api/user-preferences/import", {"jsonData": json.dumps(document)})
    body = assert_error_shape(response, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert body["errors"][0]["field"] == f"audienceProfiles[0].{field}"
    if not isinstance(stamp, str):
        assert body["errors"][0]["message"] == "must be an ISO 8601 date-time string"
    assert snapshot() == before


def test_a_deeply_nested_import_names_jsondata(owner_api):
    response = owner_api.post("/api/user-preferences/import", {"jsonData": "[" * 5000 + "]" * 5000})
    assert assert_error_shape(response, 422)["errors"][0]["field"] == "jsonData"


def test_a_nul_byte_is_refused_with_the_field_that_holds_it(owner_api):
    response = owner_api.post("/api/cost-tracking/operations", {"operations": [
        {"idempotencyKey": "k", "stage": "s", "provider": "OpenAI", "cost": 1, "model": "m\u0000"}]})
    assert [e["field"] for e in assert_error_shape(response, 422)["errors"]] == ["operations[0].model"]
    query = owner_api.get("/api/models/audit-log", {"jobId": "a\x00b"})
    assert [e["field"] for e in assert_error_shape(query, 422)["errors"]] == ["jobId"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul_byte(owner_api):
    response = owner_api.post("/api/user-preferences/audience-profiles", {"name": "literal \\u0000 text"})
    assert response.status_code == HTTPStatus.CREATED, response.content


# ---- nulls -------------------------------------------------------------------------------------------

CONFIG_NULLS_IGNORED = ["alertFrequency", "periodType", "emailNotificationsEnabled", "hardBudgetLimit",
                        "enableProjectTracking", "currency"]
CONFIG_NULLS_CLEAR = {"alertThresholds": [], "notificationEmail": "", "overallMonthlyBudget": None,
                      "providerBudgets": {}}


@pytest.mark.parametrize("field", CONFIG_NULLS_IGNORED)
def test_a_null_on_a_configuration_field_that_always_has_a_value_means_not_given(owner_api, field):
    before = owner_api.get("/api/cost-tracking/configuration").json()
    response = owner_api.put("/api/cost-tracking/configuration", {field: None})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()[field] == before[field]


@pytest.mark.parametrize(("field", "cleared"), CONFIG_NULLS_CLEAR.items())
def test_a_null_on_an_optional_configuration_field_clears_it(owner_api, field, cleared):
    owner_api.put("/api/cost-tracking/configuration", {"alertThresholds": [50], "notificationEmail": "a@example.com",
                                                      "overallMonthlyBudget": 10, "providerBudgets": {"OpenAI": 5}})
    response = owner_api.put("/api/cost-tracking/configuration", {field: None})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()[field] == cleared


@pytest.mark.parametrize("path", ["/api/cost-tracking/pricing/OpenAI", "/api/cost-tracking/pricing/OpenAI/gpt-4o"])
def test_a_null_cached_price_means_not_given(owner_api, path):
    response = owner_api.put(path, {"costPer1KInputTokens": 1, "costPer1KOutputTokens": 2,
                                    "costPer1KCachedInputTokens": None, "costPer1KCharacters": None})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["costPer1KCachedInputTokens"] is not None


# ---- full-object PUT ---------------------------------------------------------------------------------

MINIMAL = {"prompt-templates": {"name": "Mine", "templateText": "About {{topic}}"}}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.slug)
def test_get_change_put_round_trips_on_every_kind(owner_api, kind):
    created = owner_api.post(f"/api/user-preferences/{kind.slug}", MINIMAL.get(kind.slug, {"name": "Mine"}))
    assert created.status_code == HTTPStatus.CREATED, created.content
    editable = created.json()
    item = owner_api.get(f"/api/user-preferences/{kind.slug}/{editable['id']}").json()
    item["description"] = "changed by a round trip"
    response = owner_api.put(f"/api/user-preferences/{kind.slug}/{item['id']}", item)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["description"] == "changed by a round trip"
    assert response.json()["createdAt"] == item["createdAt"]

    # Server-set fields in the body are ignored, whatever they say.
    forged = {**item, **{k: v for k, v in {"createdAt": "2000-01-01T00:00:00Z", "isPreset": True,
                                           "successCount": 999}.items() if k in item}}
    response = owner_api.put(f"/api/user-preferences/{kind.slug}/{item['id']}", forged)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["createdAt"] == item["createdAt"]
    assert response.json().get("isPreset", False) is False and response.json().get("successCount", 0) == 0

    before = snapshot()
    changed_id = {**item, "id": "00000000-0000-0000-0000-000000000000"}
    refused = owner_api.put(f"/api/user-preferences/{kind.slug}/{item['id']}", changed_id)
    assert assert_error_shape(refused, 422)["errors"][0]["field"] == "id"
    assert snapshot() == before


# ---- currencies --------------------------------------------------------------------------------------

def _eur_budget(owner_api):
    response = owner_api.put("/api/cost-tracking/configuration", {"currency": "EUR", "overallMonthlyBudget": 100})
    assert response.status_code == HTTPStatus.OK, response.content


def test_an_operation_priced_in_another_currency_than_the_budget_is_refused_naming_both(owner_api):
    _eur_budget(owner_api)
    assert Price.objects.get(provider_name="OpenAI", model_id="gpt-4o").currency == "USD"
    before = snapshot()
    response = owner_api.post("/api/cost-tracking/operations", {
        "idempotencyKey": "k1", "stage": "script", "provider": "OpenAI", "model": "gpt-4o", "inputTokens": 1000})
    body = assert_error_shape(response, 422)
    assert "USD" in body["detail"] and "EUR" in body["detail"]
    assert snapshot() == before
    estimate = owner_api.post("/api/cost-tracking/estimate", {"operations": [
        {"provider": "OpenAI", "model": "gpt-4o", "inputTokens": 1000}]})
    assert "USD" in assert_error_shape(estimate, 422)["detail"]


def test_an_operation_stating_another_currency_is_refused(owner_api):
    before = snapshot()
    response = owner_api.post("/api/cost-tracking/operations", {
        "idempotencyKey": "k1", "stage": "script", "provider": "OpenAI", "cost": 1, "currency": "EUR"})
    body = assert_error_shape(response, 422)
    assert "EUR" in body["detail"] and "USD" in body["detail"]
    assert snapshot() == before


def test_a_price_in_another_currency_than_the_budget_is_refused_naming_both(owner_api):
    _eur_budget(owner_api)
    before = snapshot()
    response = owner_api.put("/api/cost-tracking/pricing/OpenAI",
                             {"costPer1KInputTokens": 1, "costPer1KOutputTokens": 1, "currency": "USD"})
    body = assert_error_shape(response, 422)
    assert "USD" in body["detail"] and "EUR" in body["detail"]
    assert snapshot() == before
    same = owner_api.put("/api/cost-tracking/pricing/OpenAI", {"costPer1KInputTokens": 1, "costPer1KOutputTokens": 1})
    assert same.status_code == HTTPStatus.OK and same.json()["currency"] == "EUR"


def test_the_budget_currency_cannot_change_while_the_period_has_spending(owner_api):
    recorded = owner_api.post("/api/cost-tracking/operations", {
        "idempotencyKey": "k1", "stage": "script", "provider": "OpenAI", "cost": 1})
    assert recorded.status_code == HTTPStatus.OK, recorded.content
    response = owner_api.put("/api/cost-tracking/configuration", {"currency": "EUR"})
    body = assert_error_shape(response, 409)
    assert "USD" in body["detail"] and "EUR" in body["detail"]
    assert CostConfiguration.objects.get().currency == "USD"


def test_the_budget_currency_may_change_before_any_spending(owner_api):
    assert not CostOperation.objects.exists()
    _eur_budget(owner_api)
    assert CostConfiguration.objects.get().currency == "EUR"


# ---- budget warnings ---------------------------------------------------------------------------------

def test_an_estimate_names_the_highest_threshold_reached(owner_api):
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 100, "alertThresholds": [50, 75, 90]})
    owner_api.put("/api/cost-tracking/pricing/Stub", {"providerType": "Image", "costPerImage": 1})
    answer = owner_api.post("/api/cost-tracking/estimate", {"operations": [{"provider": "Stub", "images": 80}]}).json()
    assert answer["decision"] == "warn"
    assert any("75%" in r for r in answer["reasons"]) and not any("50%" in r for r in answer["reasons"])


def test_an_estimate_reports_every_budget_that_crosses_a_threshold(owner_api):
    owner_api.put("/api/cost-tracking/configuration", {"overallMonthlyBudget": 100, "alertThresholds": [50, 75, 90],
                                                      "providerBudgets": {"Stub": 60}})
    owner_api.put("/api/cost-tracking/pricing/Stub", {"providerType": "Image", "costPerImage": 1})
    reasons = owner_api.post("/api/cost-tracking/estimate", {"operations": [{"provider": "Stub", "images": 55}]}
                             ).json()["reasons"]
    assert any("50% of the overall budget" in r for r in reasons), reasons
    assert any("90% of the provider 'Stub' budget" in r for r in reasons), reasons


# ---- the shape of every answer -----------------------------------------------------------------------

@pytest.mark.parametrize("path", LISTS)
def test_every_list_is_items_and_the_total_count(owner_api, path):
    first = owner_api.get(path, {"limit": 1}).json()
    assert set(first) == {"items", "count"}
    assert len(first["items"]) <= 1
    everything = owner_api.get(path, {"limit": 1000}).json()
    assert first["count"] == everything["count"] == len(everything["items"])


def test_an_unknown_api_path_is_a_json_404(owner_api):
    assert_error_shape(owner_api.get("/api/no-such-thing"), 404)
    assert_error_shape(owner_api.get("/api/jobs/x/nothing/here"), 404)


def test_a_wrong_method_is_a_json_405_with_allow(owner_api):
    response = owner_api.delete("/api/cost-tracking/pricing")
    assert_error_shape(response, 405)
    assert "GET" in response["Allow"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/jobs", {"brief": "x"}),
    ("put", "/api/cost-tracking/configuration", {"currency": "EUR"}),
    ("delete", f"/api/user-preferences/audience-profiles/{'0' * 8}-0000-0000-0000-{'0' * 12}", None),
])
def test_a_write_without_credentials_is_a_401(method, path, body):
    client = Client(enforce_csrf_checks=True)  # as a real client: CSRF is checked
    before = snapshot()
    response = getattr(client, method)(path, json.dumps(body) if body else None, content_type="application/json")
    assert_error_shape(response, 401)
    assert snapshot() == before


def test_the_running_total_never_passes_what_its_column_holds(owner_api):
    ops = [{"idempotencyKey": f"k{i}", "stage": "s", "provider": "OpenAI", "cost": "9999999.9"} for i in range(10)]
    assert owner_api.post("/api/cost-tracking/operations", {"operations": ops}).status_code == HTTPStatus.OK
    before = snapshot()
    response = owner_api.post("/api/cost-tracking/operations", {
        "idempotencyKey": "last", "stage": "s", "provider": "OpenAI", "cost": 1})
    assert "most it can hold" in assert_error_shape(response, 422)["detail"]
    assert snapshot() == before
    assert BudgetTotal.objects.get(scope="overall").spent == Decimal("99999999")
