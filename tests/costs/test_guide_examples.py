"""The guide's cost-tracking examples, verbatim."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest

from costs.models import CostOperation

pytestmark = pytest.mark.django_db
BASE = "/api/cost-tracking"

GUIDE_CONFIGURATION = {
    "userId": "default",
    "overallMonthlyBudget": 100.00,
    "periodType": "Monthly",
    "currency": "USD",
    "alertThresholds": [50, 75, 90, 100],
    "emailNotificationsEnabled": False,
    "alertFrequency": "Once",
    "providerBudgets": {"OpenAI": 50.00, "ElevenLabs": 30.00, "Anthropic": 20.00},
    "hardBudgetLimit": False,
    "enableProjectTracking": True,
}
GUIDE_PRICE = {
    "providerName": "OpenAI",
    "providerType": "LLM",
    "costPer1KInputTokens": 0.03,
    "costPer1KOutputTokens": 0.06,
    "currency": "USD",
    "notes": "GPT-4 pricing",
}


def test_the_guides_configuration_is_stored_and_read_back(owner_api):
    response = owner_api.put(f"{BASE}/configuration", GUIDE_CONFIGURATION)
    assert response.status_code == HTTPStatus.OK, response.content
    read = owner_api.get(f"{BASE}/configuration").json()
    for key, value in GUIDE_CONFIGURATION.items():
        assert read[key] == value, key


def test_the_guides_hard_limit_fragment_is_a_partial_update(owner_api):
    owner_api.put(f"{BASE}/configuration", GUIDE_CONFIGURATION)
    owner_api.put(f"{BASE}/configuration", {"overallMonthlyBudget": 100.00, "hardBudgetLimit": True})
    read = owner_api.get(f"{BASE}/configuration").json()
    assert read["hardBudgetLimit"] is True and read["providerBudgets"]["ElevenLabs"] == 30.0


@pytest.mark.parametrize(("body", "field"), [
    ({"alertThresholds": [0, 50]}, "alertThresholds"),
    ({"alertThresholds": [90, 50]}, "alertThresholds"),
    ({"alertThresholds": [50, 150]}, "alertThresholds"),
    ({"overallMonthlyBudget": -1}, "overallMonthlyBudget"),
    ({"providerBudgets": {"OpenAI": -5}}, "providerBudgets.OpenAI"),
    ({"currency": "XYZ"}, "currency"),
    ({"periodType": "Custom"}, "customStart"),
    ({"periodType": "Custom", "customStart": "2026-12-10", "customEnd": "2026-12-01"}, "customEnd"),
    ({"periodType": "Yearly"}, "periodType"),
    ({"alertFrequency": "Hourly"}, "alertFrequency"),
])
def test_bad_configuration_is_a_422_naming_the_field(owner_api, body, field):
    response = owner_api.put(f"{BASE}/configuration", body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert any(e["field"].startswith(field) for e in response.json()["errors"])


def test_the_guides_price_update_sets_the_provider_row_and_keeps_history(owner_api):
    response = owner_api.put(f"{BASE}/pricing/OpenAI", GUIDE_PRICE)
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["costPer1KInputTokens"] == 0.03 and body["costPer1KOutputTokens"] == 0.06
    assert body["source"] == "manual" and body["setBy"] == "owner" and body["setAt"]
    listed = owner_api.get(f"{BASE}/pricing").json()["items"]
    assert any(p["providerName"] == "OpenAI" and p["modelId"] == "" for p in listed)
    assert any(p["modelId"] == "gpt-4o" and p["source"].startswith("genai-prices") for p in listed)
    owner_api.put(f"{BASE}/pricing/OpenAI", {**GUIDE_PRICE, "costPer1KInputTokens": 0.02})
    from costs.models import PriceChange

    change = PriceChange.objects.filter(provider_name="OpenAI", model_id="").first()
    assert change.before["cost_per_1k_input_tokens"] == "0.030000"
    assert change.after["cost_per_1k_input_tokens"] == "0.020000"


def test_a_model_row_overrides_the_provider_row(owner_api):
    owner_api.put(f"{BASE}/pricing/Acme", {**GUIDE_PRICE, "providerName": "Acme"})
    owner_api.put(f"{BASE}/pricing/Acme/tiny", {"providerType": "LLM", "costPer1KInputTokens": 0.001,
                                                 "costPer1KOutputTokens": 0.002})
    result = owner_api.post(f"{BASE}/operations", {"operations": [
        {"idempotencyKey": "a", "stage": "script", "provider": "Acme", "model": "tiny", "inputTokens": 1000,
         "outputTokens": 1000},
        {"idempotencyKey": "b", "stage": "script", "provider": "Acme", "model": "big", "inputTokens": 1000,
         "outputTokens": 1000},
    ]}).json()
    assert [a["cost"] for a in result["accepted"]] == [0.003, 0.09]


def _record(owner_api, job, stage, provider, cost, key, **extra):
    body = {"idempotencyKey": key, "jobId": job, "stage": stage, "provider": provider, "cost": cost, **extra}
    response = owner_api.post(f"{BASE}/operations", body)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def test_the_guides_run_summary_figures_equal_an_independent_sum(owner_api):
    _record(owner_api, "job-12345", "ScriptGeneration", "OpenAI", 2.50, "k1", model="gpt-4o",
            inputTokens=9000, outputTokens=3000)
    _record(owner_api, "job-12345", "TTS", "ElevenLabs", 1.50, "k2", characters=5000)
    _record(owner_api, "job-12345", "Visuals", "Stability", 0.50, "k3", images=12)
    _record(owner_api, "job-12345", "Rendering", "Local Render", 0.25, "k4", seconds=60)
    summary = owner_api.get(f"{BASE}/run-summary/job-12345").json()
    rows = CostOperation.objects.filter(job_id="job-12345")
    total = sum(r.cost for r in rows)
    assert Decimal(str(summary["totalCost"])) == total == Decimal("4.75")
    assert summary["currency"] == "USD"
    assert summary["costByStage"] == {
        "ScriptGeneration": {"cost": 2.5, "percentageOfTotal": 52.6},
        "TTS": {"cost": 1.5, "percentageOfTotal": 31.6},
        "Visuals": {"cost": 0.5, "percentageOfTotal": 10.5},
        "Rendering": {"cost": 0.25, "percentageOfTotal": 5.3},
    }
    assert summary["costByProvider"]["OpenAI"] == {"cost": 2.5, "percentageOfTotal": 52.6}
    assert summary["tokenStats"]["totalTokens"] == 12000
    assert len(summary["operations"]) == 4
    for suggestion in summary["optimizationSuggestions"]:
        assert {"category", "suggestion", "estimatedSavings", "qualityImpact", "difficulty"} <= set(suggestion)
    categories = {s["category"] for s in summary["optimizationSuggestions"]}
    assert "TTSAlternative" in categories  # ElevenLabs at 1.50 vs Piper, free


def test_the_guides_current_period_fields(owner_api):
    owner_api.put(f"{BASE}/configuration", GUIDE_CONFIGURATION)
    _record(owner_api, "j", "script", "OpenAI", 45.75, "k1")
    period = owner_api.get(f"{BASE}/current-period").json()
    assert {k: period[k] for k in ("totalCost", "currency", "periodType", "budget", "percentageUsed")} == {
        "totalCost": 45.75, "currency": "USD", "periodType": "Monthly", "budget": 100.0, "percentageUsed": 45.8}
    openai = next(p for p in period["providers"] if p["provider"] == "OpenAI")
    assert openai["spent"] == 45.75 and openai["budget"] == 50.0 and openai["percentageUsed"] == 91.5
    assert period["held"] == 0 and period["available"] == 54.25


def test_the_guides_optimize_budget_example_answers_the_guides_fields(owner_api):
    for i in range(2):
        _record(owner_api, f"run-{i}", "ScriptGeneration", "OpenAI", 3.0, f"s{i}", model="gpt-4",
                inputTokens=50000, outputTokens=25000)
        _record(owner_api, f"run-{i}", "TTS", "ElevenLabs", 2.0, f"t{i}", characters=6000)
    body = {"budgetLimit": 2.00, "desiredQuality": "standard", "deadlineMinutes": 15}
    first = owner_api.post(f"{BASE}/optimize-budget", body).json()
    assert {"estimatedCostBefore", "estimatedCostAfter", "estimatedSavings", "recommendedSettings", "changes",
            "qualityImpact"} <= set(first)
    assert first["estimatedCostBefore"] == 5.0
    assert first["estimatedCostAfter"] < first["estimatedCostBefore"]
    assert first["estimatedSavings"] == round(first["estimatedCostBefore"] - first["estimatedCostAfter"], 6)
    assert first["recommendedSettings"]["ttsProvider"] == "Piper"
    assert any("Piper" in change for change in first["changes"])
    assert owner_api.post(f"{BASE}/optimize-budget", body).json() == first  # deterministic


def test_suggestions_never_propose_a_deprecated_or_retired_model(owner_api):
    from models_selection.models import CatalogModel

    _record(owner_api, "job-s", "ScriptGeneration", "OpenAI", 2.0, "s1", model="gpt-4", inputTokens=40000,
            outputTokens=20000)
    outdated = set(CatalogModel.objects.filter(is_deprecated=True).values_list("model_id", flat=True))
    assert "gemini-1.5-pro" in outdated  # retired by its vendor
    suggestions = owner_api.get(f"{BASE}/run-summary/job-s").json()["optimizationSuggestions"]
    switches = [s for s in suggestions if s["category"] in {"ProviderSwitch", "ModelSelection"}]
    assert switches, suggestions
    for suggestion in switches:
        target = suggestion["suggestion"].split(" to ", 1)[1].split(" for ")[0].split(" ", 1)[1]
        assert target not in outdated, suggestion
