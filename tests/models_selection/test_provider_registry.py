"""Provider kinds come from one registry: a kind registered here is probed, planned and called like the rest.

The kind below is what a new vendor's module would hold; the test registers it at run time, points it at
the fake provider on 127.0.0.1, adds its catalog row, and uses it through the ordinary API and services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from costs.models import Price
from models_selection import connections, providers
from models_selection.models import CatalogModel, Provider, ProviderKind
from models_selection.providers.base import ProbeRequest, path_segment
from models_selection.providers.openai_sdk import OpenAISDKProvider, positive_int
from models_selection.runs.clients import chat
from models_selection.runs.models import Job
from models_selection.schemas import ProviderKindName
from tests.fake_provider import GOOD_KEY

pytestmark = pytest.mark.django_db

ALL_STAGES = ["script", "visual", "narration", "refinement"]


@pytest.fixture
def parrot_kind(fake_provider):
    """A kind named "parrot": OpenAI's wire protocol, a local server, a key, and a context length of its own."""

    class Parrot(OpenAISDKProvider):
        kind = "parrot"
        label = "Parrot"
        vendor = "the Parrot server"
        default_base_url = fake_provider.base_url("openai")
        is_local = True  # on our own network: private addresses allowed without the setting

        def probe_request(self, base: str, api_key: str | None, model_id: str,
                          headers: dict[str, str]) -> ProbeRequest:
            headers["Authorization"] = f"Bearer {api_key}"
            headers["X-Parrot"] = "probe"
            return ProbeRequest("GET", f"{base}/models/{path_segment(model_id)}", headers)

        def probe_capabilities(self, body: dict[str, Any]) -> tuple[int | None, int | None, bool | None]:
            return positive_int(4096), positive_int(body.get("created") and 512), None

    providers.register(Parrot)
    yield providers.get("parrot")
    providers.unregister("parrot")


@pytest.fixture
def parrot(parrot_kind, settings):
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = False
    row = Provider(name="Parrot", kind="parrot", needs_api_key=parrot_kind.needs_key)
    row.full_clean()  # the registered kind is a valid choice of Provider.kind without a migration
    row.save()
    connections.provider_update(name="Parrot", api_key=GOOD_KEY, enabled=True)
    CatalogModel.objects.create(provider="Parrot", model_id="parrot-1", stages=ALL_STAGES, aliases=["polly"])
    return row


def test_a_registered_kind_is_a_choice_and_the_built_in_kinds_are_the_registry(parrot_kind):
    assert ("parrot", "Parrot") in Provider._meta.get_field("kind").choices
    built_in = ["openai", "anthropic", "gemini", "ollama", "openai_compatible"]
    assert [p.kind for p in providers.registered()] == [*built_in, "parrot"]
    assert list(ProviderKind.values) == built_in
    assert ProviderKindName.__args__ == tuple(built_in)
    with pytest.raises(ValueError, match="already registered"):
        providers.register(type(parrot_kind))


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown provider kind 'telepathy'"):
        providers.get("telepathy")
    with pytest.raises(ValueError, match="kind and a label"):
        providers.register(type("Nameless", (OpenAISDKProvider,), {}))


def test_the_new_kind_uses_its_default_base_url_and_is_probed_through_the_api(parrot, owner_api, fake_provider):
    listed = {p["name"]: p for p in owner_api.get("/api/models/providers").json()["items"]}
    assert (listed["Parrot"]["kind"], listed["Parrot"]["baseUrl"]) == ("parrot", fake_provider.base_url("openai"))
    assert listed["Parrot"]["isUsable"] is True

    body = owner_api.post("/api/models/test", {"provider": "Parrot", "modelId": "parrot-1"}).json()

    assert (body["isAvailable"], body["errorMessage"], body["contextWindow"], body["maxTokens"]) == (
        True, None, 4096, 512)
    request = fake_provider.requests[-1]
    assert (request["method"], request["path"]) == ("GET", "/v1/models/parrot-1")
    assert request["headers"]["X-Parrot"] == "probe"
    assert request["headers"]["Authorization"] == f"Bearer {GOOD_KEY}"
    assert CatalogModel.objects.get(provider="Parrot").last_probe_ok is True


def test_a_failed_probe_names_the_kinds_vendor(parrot, owner_api):
    CatalogModel.objects.create(provider="Parrot", model_id="missing-model", stages=ALL_STAGES)

    body = owner_api.post("/api/models/test", {"provider": "Parrot", "modelId": "missing-model",
                                               "apiKey": GOOD_KEY}).json()

    assert body["isAvailable"] is False
    assert body["errorMessage"] == "HTTP 404: model 'missing-model' was not found at the Parrot server."


def test_a_run_is_planned_on_the_new_kind(parrot, owner_api):
    overrides = {stage: {"provider": "Parrot", "modelId": "polly", "pin": True} for stage in ALL_STAGES}

    response = owner_api.post("/api/jobs", {"brief": "A short film about seeds.", "modelOverrides": overrides})

    assert response.status_code == 201, response.json()
    resolutions = response.json()["resolutions"]
    assert {(r["provider"], r["modelId"], r["source"]) for r in resolutions} == {
        ("Parrot", "parrot-1", "RunOverridePinned")}
    assert Job.objects.get(pk=response.json()["jobId"]).status == "Planned"


def test_the_new_kind_is_priced_by_the_price_table_and_taken_by_the_automatic_fallback(parrot, owner_api):
    Price.objects.create(provider_name="Parrot", model_id="parrot-1", cost_per_1k_input_tokens=Decimal("0.001"),
                         cost_per_1k_output_tokens=Decimal("0.002"))

    response = owner_api.post("/api/jobs", {"brief": "A short film about seeds.", "allowAutoFallback": True})

    assert response.status_code == 201, response.json()
    assert {(r["provider"], r["modelId"], r["source"]) for r in response.json()["resolutions"]} == {
        ("Parrot", "parrot-1", "AutomaticFallback")}
    frozen = Job.objects.get(pk=response.json()["jobId"]).price_snapshot["Parrot:parrot-1"]
    assert Decimal(frozen["cost_per_1k_input_tokens"]) == Decimal("0.001")
    explained = owner_api.post("/api/models/explain", {"stage": "script", "provider": "Parrot",
                                                       "modelId": "parrot-1"}).json()
    assert explained["verdict"] == "keep" and "($0.003 per 1K in+out tokens)" in " ".join(explained["reasons"])


def test_a_run_calls_the_new_kind_through_the_registry(parrot_kind, fake_provider):
    completion = chat(kind="parrot", base_url=parrot_kind.default_base_url, api_key=GOOD_KEY, model_id="parrot-1",
                      messages=[{"role": "user", "content": "Write a script."}], sampling={"max_tokens": 50},
                      timeout=5, max_retries=0)

    assert completion.text.startswith("This is a short script from parrot-1.")
    assert completion.sent["max_tokens"] == 50 and completion.input_tokens == 4
    assert fake_provider.completions()[-1]["path"] == "/v1/chat/completions"
