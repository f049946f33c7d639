"""Fixtures of the model-selection tests: a small, known catalog and providers with keys."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costs.models import Price
from models_selection import connections
from models_selection.models import CatalogModel, Provider

ALL_STAGES = ["script", "visual", "narration", "refinement"]


@pytest.fixture(autouse=True)
def _short_probe_timeout(settings):
    """The fake provider's slow model outlasts this, so the timeout path runs in a second."""
    settings.AURA_PROBE_TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def _no_provider_keys_in_environment(monkeypatch):
    """Keys in the developer's environment must not make models available in tests."""
    for name in ("OPENAI", "ANTHROPIC", "GEMINI", "OLLAMA"):
        monkeypatch.delenv(f"AURA_{name}_API_KEY", raising=False)
        monkeypatch.delenv(f"AURA_{name}_BASE_URL", raising=False)


def set_price(provider: str, model_id: str, input_price: str | None, output_price: str | None,
              currency: str = "USD") -> None:
    """The model's row of the price table (the only source of prices); None, None: no row of its own."""
    if input_price is None and output_price is None:
        Price.objects.filter(provider_name=provider, model_id=model_id).delete()
        return
    Price.objects.update_or_create(provider_name=provider, model_id=model_id, defaults={
        "provider_type": "LLM", "currency": currency,
        "cost_per_1k_input_tokens": Decimal(input_price) if input_price else None,
        "cost_per_1k_output_tokens": Decimal(output_price) if output_price else None})


def _model(
    provider: str, model_id: str, input_price: str | None, output_price: str | None, **extra
) -> CatalogModel:
    set_price(provider, model_id, input_price, output_price)
    return CatalogModel.objects.create(
        provider=provider,
        model_id=model_id,
        context_window=extra.pop("context_window", 128000),
        max_tokens=extra.pop("max_tokens", 16384),
        stages=extra.pop("stages", ALL_STAGES),
        **extra,
    )


@pytest.fixture
def world(db):
    """OpenAI and Anthropic have keys, Gemini has none; a handful of models in every state."""
    CatalogModel.objects.all().delete()
    connections.provider_update(name="OpenAI", api_key="sk-openai-test-key-123", enabled=True)
    connections.provider_update(name="Anthropic", api_key="sk-ant-test-key-456", enabled=True)
    connections.provider_update(name="Gemini", api_key="", enabled=True)
    _model("OpenAI", "gpt-4o", "0.0025", "0.01", aliases=["gpt-4o-latest", "gpt-4o-2024-11-20"])
    _model("OpenAI", "gpt-4o-mini", "0.00015", "0.0006", aliases=["gpt-4o-mini-latest"])
    _model("OpenAI", "gpt-4", "0.03", "0.06", is_deprecated=True, replacement="gpt-4.1", context_window=8192)
    _model(
        "OpenAI",
        "gpt-4.1",
        "0.002",
        "0.008",
        last_probe_ok=False,
        last_probe_error="HTTP 404: model not found",
    )
    _model("Anthropic", "claude-opus-4-5", "0.005", "0.025")
    _model("Anthropic", "claude-haiku-4-5", "0.001", "0.005")
    _model(
        "Anthropic",
        "claude-3-opus",
        "0.015",
        "0.075",
        is_deprecated=True,
        is_retired=True,
        replacement="claude-opus-4-5",
        aliases=["claude-3-opus-20240229"],
    )
    _model("Gemini", "gemini-2.5-flash", "0.0003", "0.0025")
    return Provider.objects.all()
