"""POST /api/models/test against the local fake provider: outcomes, availability, and no key leaks."""

from __future__ import annotations

import json
import logging

import pytest

from models_selection import connections, probes, resolving
from models_selection.models import CatalogModel, ProbeResult, Provider, ResolutionAudit
from models_selection.resolver import RunOverride

pytestmark = pytest.mark.django_db

GOOD_KEY = "sk-good"
BAD_KEY = "sk-wrong-key-0000-secret"
KINDS = {"OpenAI": "openai", "Anthropic": "anthropic", "Gemini": "gemini", "Ollama": "ollama"}


@pytest.fixture
def pointed(world, fake_provider):
    """Every provider's base URL points at the fake server; Ollama is enabled."""
    for name, kind in KINDS.items():
        # A key belongs to its base URL: moving the URL keeps the key only when it is sent again.
        key = connections.provider_api_key(Provider.objects.get(name=name))
        connections.provider_update(name=name, base_url=fake_provider.base_url(kind), enabled=True,
                                 **({"api_key": key} if key else {}))
    for model_id in ("missing-model", "slow-model", "busy-model"):
        CatalogModel.objects.create(provider="OpenAI", model_id=model_id, stages=["script"])
    CatalogModel.objects.create(provider="Ollama", model_id="llama3.1", stages=["script"])
    return fake_provider


def probe(api, provider: str, model_id: str, api_key: str | None = GOOD_KEY, **extra):
    body = {"provider": provider, "modelId": model_id}
    if api_key is not None:
        body["apiKey"] = api_key
    return api.post("/api/models/test", body, **extra)


@pytest.mark.parametrize(
    ("provider", "model_id"),
    [("OpenAI", "gpt-4o"), ("Anthropic", "claude-opus-4-5"), ("Gemini", "gemini-2.5-flash")],
)
def test_the_guide_test_example_works_verbatim_for_each_provider(pointed, owner_api, provider, model_id):
    response = probe(owner_api, provider, model_id, HTTP_X_CORRELATION_ID="jkl012")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "provider",
        "modelId",
        "isAvailable",
        "isDeprecated",
        "contextWindow",
        "maxTokens",
        "errorMessage",
        "testedAt",
        "correlationId",
    }
    assert (body["provider"], body["modelId"], body["isAvailable"], body["errorMessage"]) == (
        provider,
        model_id,
        True,
        None,
    )
    assert body["correlationId"] == "jkl012"
    assert body["testedAt"]


def test_ollama_is_probed_without_a_key(pointed, owner_api):
    body = probe(owner_api, "Ollama", "llama3.1", api_key=None).json()

    assert body["isAvailable"] is True


@pytest.mark.parametrize(
    ("model_id", "api_key", "words"),
    [
        ("gpt-4o", BAD_KEY, "401"),
        ("missing-model", GOOD_KEY, "404"),
        ("slow-model", GOOD_KEY, "time"),
        ("busy-model", GOOD_KEY, "429"),
    ],
)
def test_failures_give_a_clear_error_and_make_the_model_unavailable(
    pointed, owner_api, model_id, api_key, words
):
    body = probe(owner_api, "OpenAI", model_id, api_key=api_key).json()

    assert body["isAvailable"] is False
    assert words in body["errorMessage"].lower()
    row = CatalogModel.objects.get(provider="OpenAI", model_id=model_id)
    assert row.last_probe_ok is False
    resolution = resolving.stage_resolve(
        stage="script", overrides={"script": RunOverride("OpenAI", model_id, True)}
    )
    assert resolution.is_blocked
    assert "last probe failed" in resolution.reasoning


def test_a_connection_error_is_reported(world, owner_api):
    connections.provider_update(name="OpenAI", base_url="http://127.0.0.1:9")

    body = probe(owner_api, "OpenAI", "gpt-4o").json()

    assert body["isAvailable"] is False
    assert body["errorMessage"]


def test_a_successful_probe_after_a_failure_makes_the_model_available_again(pointed, owner_api):
    probe(owner_api, "OpenAI", "gpt-4o", api_key=BAD_KEY)
    probe(owner_api, "OpenAI", "gpt-4o", api_key=GOOD_KEY)

    assert CatalogModel.objects.get(provider="OpenAI", model_id="gpt-4o").last_probe_ok is True


def test_the_stored_key_is_used_when_the_request_has_none(pointed, owner_api):
    connections.provider_update(name="OpenAI", api_key=GOOD_KEY)

    assert probe(owner_api, "OpenAI", "gpt-4o", api_key=None).json()["isAvailable"] is True


def test_unknown_models_and_providers_are_422(pointed, owner_api):
    assert probe(owner_api, "OpenAI", "gpt-99").status_code == 422
    assert probe(owner_api, "Nobody", "gpt-4o").status_code == 422


@pytest.mark.parametrize("model_id", ["gpt-4o", "missing-model", "busy-model"])
def test_the_request_key_never_appears_in_responses_logs_rows_or_task_results(
    pointed, owner_api, caplog, model_id
):
    caplog.set_level(logging.DEBUG)
    secret = BAD_KEY if model_id == "gpt-4o" else GOOD_KEY
    stored_before = Provider.objects.get(name="OpenAI").encrypted_api_key

    response = probe(owner_api, "OpenAI", model_id, api_key=secret)
    resolving.stage_resolve(stage="script", overrides={"script": RunOverride("OpenAI", model_id, True)})

    probe_row = ProbeResult.objects.get()
    stored = [
        response.content.decode(),
        caplog.text,
        json.dumps(list(ProbeResult.objects.values()), default=str),
        json.dumps(list(ResolutionAudit.objects.values()), default=str),
        json.dumps(list(Provider.objects.values()), default=str),
        json.dumps(list(CatalogModel.objects.values()), default=str),
    ]
    for text in stored:
        assert secret not in text
    assert probe_row.used_request_key is True
    # The request key was not kept: the provider's stored key is untouched.
    assert Provider.objects.get(name="OpenAI").encrypted_api_key == stored_before


def test_the_task_returns_only_the_probe_id_and_carries_the_key_sealed(pointed):
    from models_selection.tasks import probe_run, seal_key

    probe_row = probes.probe_start(provider="OpenAI", model_id="gpt-4o")
    sealed = seal_key(BAD_KEY)

    result = probe_run.delay(probe_row.pk, sealed)

    assert BAD_KEY not in sealed
    assert result.get(timeout=30) == probe_row.pk
    assert ProbeResult.objects.get().error_message


@pytest.mark.celery_worker
def test_a_probe_runs_in_a_real_celery_worker(celery_worker_process, fake_provider, django_user_model):
    from tests.conftest import ApiClient, _token_for

    owner = django_user_model.objects.create_superuser("probe-owner", "p@example.com", "pw-123456789")
    connections.provider_update(name="OpenAI", base_url=fake_provider.base_url("openai"))
    api = ApiClient(_token_for(owner))

    body = probe(api, "OpenAI", "gpt-4o").json()

    assert body["isAvailable"] is True
    assert ProbeResult.objects.get().status == "done"
