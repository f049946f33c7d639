"""The guide's model-selection API examples, verbatim, and the rest of the routes."""

from __future__ import annotations

import logging

import pytest

from costs.models import Price
from models_selection.models import CatalogModel, ModelSelection, Provider, SelectionChange

pytestmark = pytest.mark.django_db


def test_the_guide_set_selection_example_works_verbatim(world, owner_api):
    response = owner_api.post(
        "/api/models/selection",
        {
            "provider": "OpenAI",
            "stage": "script",
            "modelId": "gpt-4o",
            "scope": "Stage",
            "pin": True,
            "reason": "Need consistent script quality",
        },
        HTTP_X_CORRELATION_ID="def456",
    )

    assert response.status_code == 200
    assert response.json() == {
        "applied": True,
        "reason": "Model selection saved successfully",
        "deprecationWarning": None,
        "correlationId": "def456",
    }
    row = ModelSelection.objects.get()
    assert (row.scope, row.stage, row.provider, row.model_id, row.is_pinned) == (
        "Stage",
        "script",
        "OpenAI",
        "gpt-4o",
        True,
    )
    assert row.set_by_name == "owner"


def test_the_guide_get_selection_example_has_its_shape(world, owner_api):
    owner_api.post(
        "/api/models/selection",
        {
            "provider": "OpenAI",
            "stage": "",
            "modelId": "gpt-4o-mini",
            "scope": "Global",
            "reason": "User selection",
        },
    )
    owner_api.post(
        "/api/models/selection",
        {
            "provider": "OpenAI",
            "stage": "script",
            "modelId": "gpt-4o",
            "scope": "Stage",
            "pin": True,
            "reason": "User pinned for consistency",
        },
    )

    body = owner_api.get("/api/models/selection", HTTP_X_CORRELATION_ID="abc123").json()

    assert body["allowAutomaticFallback"] is False
    assert body["correlationId"] == "abc123"
    [global_default] = body["globalDefaults"]
    assert {k: v for k, v in global_default.items() if k not in {"setAt", "projectId"}} == {
        "provider": "OpenAI",
        "stage": "",
        "modelId": "gpt-4o-mini",
        "scope": "Global",
        "isPinned": False,
        "setBy": "owner",
        "reason": "User selection",
    }
    [stage] = body["stageSelections"]
    assert (stage["stage"], stage["modelId"], stage["scope"], stage["isPinned"]) == (
        "script",
        "gpt-4o",
        "Stage",
        True,
    )
    assert stage["setAt"].endswith("Z") or "+00:00" in stage["setAt"]


def test_the_guide_clear_example_works_verbatim(world, owner_api):
    owner_api.post(
        "/api/models/selection",
        {"provider": "OpenAI", "stage": "script", "modelId": "gpt-4o", "scope": "Stage"},
    )

    response = owner_api.post(
        "/api/models/selection/clear",
        {
            "provider": "OpenAI",
            "stage": "script",
            "scope": "Stage",
        },
        HTTP_X_CORRELATION_ID="ghi789",
    )

    assert response.json() == {
        "success": True,
        "message": "Selections cleared successfully",
        "correlationId": "ghi789",
    }
    assert not ModelSelection.objects.exists()


def test_the_guide_available_example_works_verbatim(owner_api):
    response = owner_api.get("/api/models/available?provider=OpenAI", HTTP_X_CORRELATION_ID="xyz789")

    body = response.json()
    assert list(body) == ["providers", "totalCount", "correlationId"]
    assert list(body["providers"]) == ["OpenAI"]
    assert body["totalCount"] == len(body["providers"]["OpenAI"]) >= 10
    assert body["correlationId"] == "xyz789"
    gpt4o = next(m for m in body["providers"]["OpenAI"] if m["modelId"] == "gpt-4o")
    assert {k: gpt4o[k] for k in ("provider", "modelId", "contextWindow", "isDeprecated")} == {
        "provider": "OpenAI",
        "modelId": "gpt-4o",
        "contextWindow": 128000,
        "isDeprecated": False,
    }
    assert "gpt-4o-latest" in gpt4o["aliases"]
    assert gpt4o["maxTokens"] > 0
    # No key is configured in the test environment, so the model says why it cannot run.
    assert gpt4o["isAvailable"] is False
    assert "no API key" in gpt4o["unavailableReason"]


def test_every_model_named_in_the_guide_is_seeded_with_its_true_status():
    def row(provider: str, model_id: str) -> CatalogModel:
        return CatalogModel.objects.get(provider=provider, model_id=model_id)

    assert not row("OpenAI", "gpt-4o").is_deprecated
    assert not row("OpenAI", "gpt-4o-mini").is_deprecated
    gpt4 = row("OpenAI", "gpt-4")
    assert (gpt4.is_deprecated, gpt4.is_retired, gpt4.replacement) == (True, False, "gpt-4.1")
    opus = row("Anthropic", "claude-3-opus")
    assert (opus.is_deprecated, opus.is_retired, opus.replacement) == (True, True, "claude-opus-4-5")
    assert CatalogModel.objects.filter(
        provider="Anthropic", model_id="claude-opus-4-5", is_retired=False
    ).exists()
    gpt4o_price = Price.objects.get(provider_name="OpenAI", model_id="gpt-4o")
    assert (str(gpt4o_price.cost_per_1k_input_tokens.normalize()), gpt4o_price.currency) == ("0.0025", "USD")
    assert {p for p in CatalogModel.objects.values_list("provider", flat=True)} == {
        "OpenAI",
        "Anthropic",
        "Gemini",
        "Ollama",
    }


def test_setting_a_deprecated_model_is_not_applied_without_allow_deprecated(world, owner_api):
    body = {"provider": "OpenAI", "stage": "script", "modelId": "gpt-4", "scope": "Stage"}

    refused = owner_api.post("/api/models/selection", body).json()
    accepted = owner_api.post("/api/models/selection", {**body, "allowDeprecated": True}).json()

    assert refused["applied"] is False
    assert "gpt-4.1" in refused["deprecationWarning"]
    assert accepted["applied"] is True
    assert ModelSelection.objects.get().model_id == "gpt-4"


def test_an_alias_is_stored_as_its_model(world, owner_api):
    owner_api.post(
        "/api/models/selection", {"provider": "openai", "modelId": "gpt-4o-latest", "scope": "Global"}
    )

    assert ModelSelection.objects.values_list("provider", "model_id").get() == ("OpenAI", "gpt-4o")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"modelId": "gpt-99"}, "modelId"),
        ({"provider": "Nobody"}, "provider"),
        ({"scope": "Galaxy"}, "scope"),
        ({"stage": "editing"}, "stage"),
        ({"scope": "Project"}, "projectId"),
        ({"scope": "Global", "stage": ""}, "pin"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_selections_are_422_naming_the_field(world, owner_api, change, field):
    body = {
        "provider": "OpenAI",
        "stage": "script",
        "modelId": "gpt-4o",
        "scope": "Stage",
        "pin": True,
        **change,
    }

    response = owner_api.post("/api/models/selection", body)

    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not ModelSelection.objects.exists()


def test_setting_a_slot_again_replaces_it_and_history_keeps_before_and_after(world, owner_api):
    base = {"provider": "OpenAI", "stage": "script", "scope": "Stage"}
    owner_api.post("/api/models/selection", {**base, "modelId": "gpt-4o", "reason": "first"})
    owner_api.post("/api/models/selection", {**base, "modelId": "gpt-4o-mini", "reason": "cheaper"})
    owner_api.post("/api/models/selection/clear", {"scope": "Stage"})

    history = owner_api.get("/api/models/selection/history").json()["items"]

    assert ModelSelection.objects.count() == 0
    assert [c["action"] for c in history] == ["clear", "set", "set"]
    assert history[1]["before"]["modelId"] == "gpt-4o"
    assert history[1]["after"]["modelId"] == "gpt-4o-mini"
    assert history[1]["changedBy"] == "owner"
    assert history[1]["reason"] == "cheaper"
    assert SelectionChange.objects.count() == 3


def test_project_selections_are_kept_per_project(world, owner_api):
    for project, model in [("alpha", "gpt-4o"), ("beta", "gpt-4o-mini")]:
        owner_api.post(
            "/api/models/selection",
            {
                "provider": "OpenAI",
                "modelId": model,
                "scope": "Project",
                "projectId": project,
                "stage": "visual",
            },
        )

    body = owner_api.get("/api/models/selection").json()

    assert [(s["projectId"], s["modelId"]) for s in body["projectSelections"]] == [
        ("alpha", "gpt-4o"),
        ("beta", "gpt-4o-mini"),
    ]


def test_automatic_fallback_is_off_by_default_and_can_be_turned_on(world, owner_api):
    assert owner_api.get("/api/models/settings").json()["allowAutomaticFallback"] is False

    response = owner_api.put("/api/models/settings", {"allowAutomaticFallback": True})

    assert response.json()["allowAutomaticFallback"] is True
    assert owner_api.get("/api/models/selection").json()["allowAutomaticFallback"] is True


def test_resolve_answers_every_stage_in_the_documented_shape(world, owner_api):
    owner_api.post("/api/models/selection", {"provider": "OpenAI", "modelId": "gpt-4o", "scope": "Global"})

    body = owner_api.post(
        "/api/models/resolve",
        {
            "modelOverrides": {"script": {"provider": "Anthropic", "modelId": "claude-3-opus", "pin": True}},
        },
    ).json()

    assert body["blocked"] is True
    assert [r["stage"] for r in body["resolutions"]] == ["script", "visual", "narration", "refinement"]
    script = body["resolutions"][0]
    assert set(script) == {
        "stage",
        "provider",
        "modelId",
        "source",
        "reasoning",
        "isPinned",
        "isBlocked",
        "alternatives",
    }
    assert script["alternatives"][0] == {"provider": "Anthropic", "modelId": "claude-haiku-4-5"}
    assert body["resolutions"][1]["source"] == "GlobalDefault"


def test_explain_compares_with_the_recommended_model(world, owner_api):
    body = owner_api.post(
        "/api/models/explain", {"stage": "script", "provider": "OpenAI", "modelId": "gpt-4"}
    ).json()

    assert body["verdict"] == "switch"
    assert body["recommended"]["modelId"] == "gpt-4o-mini"
    assert any("deprecated" in reason for reason in body["reasons"])
    assert any("costs" in reason for reason in body["reasons"])


def test_explain_keeps_the_recommended_model(world, owner_api):
    body = owner_api.post(
        "/api/models/explain", {"stage": "script", "provider": "OpenAI", "modelId": "gpt-4o-mini"}
    ).json()

    assert body["verdict"] == "keep"


def test_the_available_list_takes_constant_queries(world, owner_api, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        owner_api.get("/api/models/available")


# --- Providers and keys -------------------------------------------------------------------------------

SECRET = "sk-live-very-secret-0123456789"


def test_a_provider_key_is_write_only_and_encrypted_at_rest(owner_api, caplog):
    caplog.set_level(logging.DEBUG)

    put = owner_api.put(
        "/api/models/providers/OpenAI", {"apiKey": SECRET, "baseUrl": "https://example.test/v1"}
    )
    listed = owner_api.get("/api/models/providers")

    assert put.status_code == 200
    openai = next(p for p in listed.json()["items"] if p["name"] == "OpenAI")
    assert (openai["hasApiKey"], openai["apiKeySource"], openai["baseUrl"]) == (
        True,
        "stored",
        "https://example.test/v1",
    )
    stored = Provider.objects.get(name="OpenAI").encrypted_api_key
    assert stored and SECRET not in stored
    for text in (put.content.decode(), listed.content.decode(), caplog.text):
        assert SECRET not in text


def test_a_provider_key_makes_its_models_available_and_an_empty_key_removes_it(owner_api):
    owner_api.put("/api/models/providers/OpenAI", {"apiKey": SECRET})
    available = owner_api.get("/api/models/available?provider=OpenAI").json()["providers"]["OpenAI"]
    owner_api.put("/api/models/providers/OpenAI", {"apiKey": ""})
    removed = owner_api.get("/api/models/providers").json()["items"]

    assert next(m for m in available if m["modelId"] == "gpt-4o")["isAvailable"] is True
    assert next(p for p in removed if p["name"] == "OpenAI")["hasApiKey"] is False


def test_a_key_from_the_environment_counts_and_is_not_shown(owner_api, monkeypatch):
    monkeypatch.setenv("AURA_ANTHROPIC_API_KEY", SECRET)

    response = owner_api.get("/api/models/providers")

    anthropic = next(p for p in response.json()["items"] if p["name"] == "Anthropic")
    assert (anthropic["hasApiKey"], anthropic["apiKeySource"]) == (True, "environment")
    assert SECRET not in response.content.decode()


def test_ollama_needs_no_key_but_starts_disabled(owner_api):
    providers = {p["name"]: p for p in owner_api.get("/api/models/providers").json()["items"]}

    assert providers["Ollama"]["needsApiKey"] is False
    assert providers["Ollama"]["isUsable"] is False
    owner_api.put("/api/models/providers/Ollama", {"enabled": True})
    providers = {p["name"]: p for p in owner_api.get("/api/models/providers").json()["items"]}
    assert providers["Ollama"]["isUsable"] is True


def test_an_openai_compatible_endpoint_can_be_added(owner_api):
    response = owner_api.put(
        "/api/models/providers/Together", {"baseUrl": "https://api.together.test/v1", "apiKey": SECRET}
    )

    assert response.status_code == 200
    row = Provider.objects.get(name="Together")
    assert (row.kind, row.base_url) == ("openai_compatible", "https://api.together.test/v1")
    assert owner_api.put("/api/models/providers/Other", {"apiKey": "x"}).status_code == 422


def test_the_admin_provider_form_never_shows_the_key(client, owner):
    from models_selection import connections

    connections.provider_update(name="OpenAI", api_key=SECRET)
    client.force_login(owner)
    pk = Provider.objects.get(name="OpenAI").pk

    page = client.get(f"/admin/models_selection/provider/{pk}/change/")

    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert Provider.objects.get(name="OpenAI").encrypted_api_key not in page.content.decode()


def test_the_key_is_derived_from_the_secret_key_when_no_encryption_key_is_set(settings):
    from models_selection.keys import key_decrypt, key_encrypt

    settings.AURA_ENCRYPTION_KEY = ""
    token = key_encrypt(SECRET)
    settings.SECRET_KEY = "another-secret-key-entirely-different-0123456789"

    assert key_decrypt(token) is None  # a different SECRET_KEY cannot read it
