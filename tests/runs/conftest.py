"""A world for executed runs: every provider pointed at the fake provider server, known models and prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costs import pricing
from models_selection import connections, services
from models_selection.models import CatalogModel

STAGES = ["script", "visual", "narration", "refinement"]
# provider → (model, input price per 1K, output price per 1K, cached input price per 1K)
STAGE_MODELS = {
    "script": ("OpenAI", "fake-gpt"),
    "visual": ("Anthropic", "fake-claude"),
    "narration": ("Gemini", "fake-gemini"),
    "refinement": ("Ollama", "fake-llama"),
}
PRICES = {
    ("OpenAI", "fake-gpt"): ("0.0025", "0.01", "0.00125"),
    ("Anthropic", "fake-claude"): ("0.003", "0.015", "0.0003"),
    ("Gemini", "fake-gemini"): ("0.0003", "0.0025", "0.000075"),
    ("Ollama", "fake-llama"): ("0.0001", "0.0002", "0"),
}
EXTRA_MODELS = [
    ("OpenAI", "fake-gpt-unsafe"), ("OpenAI", "fake-gpt-lowscore"), ("OpenAI", "fake-gpt-badjudge"),
    ("OpenAI", "fake-gpt-verbose"), ("OpenAI", "fake-gpt-cached"), ("OpenAI", "fake-gpt-flaky"),
    ("Anthropic", "fake-claude-2"),
]


@pytest.fixture(autouse=True)
def _no_provider_settings_in_environment(monkeypatch, settings):
    for name in ("OPENAI", "ANTHROPIC", "GEMINI", "OLLAMA"):
        monkeypatch.delenv(f"AURA_{name}_API_KEY", raising=False)
        monkeypatch.delenv(f"AURA_{name}_BASE_URL", raising=False)
    settings.AURA_RUN_TIMEOUT = 10.0
    settings.AURA_ALLOW_PRIVATE_PROVIDER_URLS = True  # the fake provider listens on 127.0.0.1
    settings.AURA_RUN_MAX_RETRIES = 2


def _price(provider: str, model: str, prices: tuple[str, str, str]) -> None:
    pricing.price_set(provider_name=provider, model_id=model, data={
        "provider_type": "LLM", "cost_per_1k_input_tokens": Decimal(prices[0]),
        "cost_per_1k_output_tokens": Decimal(prices[1]), "cost_per_1k_cached_input_tokens": Decimal(prices[2])})


@pytest.fixture
def run_world(db, fake_provider):
    """Providers on the fake server with the good key, a stage selection per stage on four vendors."""
    return configure_run_world(fake_provider)


def configure_run_world(fake_provider):
    """Point every provider at the fake server, add the fake models with prices, select one per stage."""
    for name, kind in (("OpenAI", "openai"), ("Anthropic", "anthropic"), ("Gemini", "gemini"), ("Ollama", "ollama")):
        connections.provider_update(name=name, base_url=fake_provider.base_url(kind),
                                 api_key="sk-good" if name != "Ollama" else None, enabled=True)
    for (provider, model), prices in PRICES.items():
        CatalogModel.objects.update_or_create(provider=provider, model_id=model, defaults={"stages": STAGES})
        _price(provider, model, prices)
    for provider, model in EXTRA_MODELS:
        CatalogModel.objects.update_or_create(provider=provider, model_id=model, defaults={"stages": STAGES})
        _price(provider, model, PRICES[(provider, STAGE_MODELS["script" if provider == "OpenAI" else "visual"][1])])
    for stage, (provider, model) in STAGE_MODELS.items():
        services.selection_set(scope="Stage", stage=stage, provider=provider, model_id=model)
    fake_provider.requests.clear()
    return fake_provider


def completions_for(fake_provider, job_id: str | None = None) -> list[dict]:
    """Completion requests (optionally only those whose prompt mentions the job's brief marker)."""
    found = fake_provider.completions()
    if job_id is None:
        return found
    return [r for r in found if job_id in json_text(r["body"])]


def json_text(body: dict) -> str:
    import json

    return json.dumps(body)
