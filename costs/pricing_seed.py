"""Initial prices: LLM token prices from the maintained `genai-prices` package, TTS/image/video defaults."""

from __future__ import annotations

from decimal import Decimal
from importlib.metadata import version

# Every model of the seed catalog (models_selection/data/catalog.json) is priced here: this table is the only
# source of prices, for runs as for the catalog's ranking and Explain. Ollama's are its provider row (free).
LLM_MODELS = {
    "OpenAI": ["gpt-4o", "gpt-4o-mini", "gpt-4", "gpt-4-turbo", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
               "gpt-3.5-turbo", "o3-mini", "o4-mini",
               "gpt-5", "gpt-5-mini", "gpt-5-nano", "o3", "gpt-4.5-preview"],
    "Anthropic": ["claude-3-opus", "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-haiku", "claude-sonnet-4",
                  "claude-opus-4", "claude-3-7-sonnet",
                  "claude-opus-4-5", "claude-opus-4-1", "claude-opus-4-0", "claude-sonnet-4-5", "claude-sonnet-4-0",
                  "claude-haiku-4-5", "claude-3-sonnet"],
    "Gemini": ["gemini-1.5-pro", "gemini-1.5-flash", "gemini-2.0-flash", "gemini-2.5-pro", "gemini-2.5-flash",
               "gemini-2.5-flash-lite", "gemini-2.0-flash-lite"],
}
PROVIDER_IDS = {"OpenAI": "openai", "Anthropic": "anthropic", "Gemini": "google"}

# Published list prices at the time of writing; admins update them on the pricing page.
OTHER_PRICES = [
    {"provider_name": "ElevenLabs", "provider_type": "TTS", "cost_per_1k_characters": Decimal("0.30"),
     "notes": "Creator plan overage rate"},
    {"provider_name": "OpenAI TTS", "provider_type": "TTS", "cost_per_1k_characters": Decimal("0.015"),
     "notes": "tts-1"},
    {"provider_name": "Azure TTS", "provider_type": "TTS", "cost_per_1k_characters": Decimal("0.016"),
     "notes": "Neural voices"},
    {"provider_name": "Piper", "provider_type": "TTS", "cost_per_1k_characters": Decimal("0"),
     "notes": "Free, runs offline"},
    {"provider_name": "Stability", "provider_type": "Image", "cost_per_image": Decimal("0.04"),
     "notes": "Stable Image Core"},
    {"provider_name": "OpenAI Images", "provider_type": "Image", "cost_per_image": Decimal("0.04"),
     "notes": "DALL·E 3 standard 1024×1024"},
    {"provider_name": "Local Render", "provider_type": "Rendering", "cost_per_second": Decimal("0"),
     "notes": "FFmpeg on our own machines"},
]
OLLAMA = {"provider_name": "Ollama", "provider_type": "LLM", "cost_per_1k_input_tokens": Decimal("0"),
          "cost_per_1k_output_tokens": Decimal("0"), "notes": "Local models: no per-token charge"}


def default_prices() -> list[dict]:
    """Rows for the Price table, each with its source."""
    from genai_prices import Usage, calc_price

    source = f"genai-prices {version('genai-prices')}"
    rows = []
    for provider, models in LLM_MODELS.items():
        for model in models:
            try:
                price = calc_price(Usage(input_tokens=1000, output_tokens=1000), model_ref=model,
                                   provider_id=PROVIDER_IDS[provider])
            except LookupError:
                continue
            rows.append({"provider_name": provider, "model_id": model, "provider_type": "LLM",
                         "cost_per_1k_input_tokens": Decimal(price.input_price).quantize(Decimal("0.000001")),
                         "cost_per_1k_output_tokens": Decimal(price.output_price).quantize(Decimal("0.000001")),
                         "source": source, "notes": f"{price.model.name} list price"})
    rows.append({**OLLAMA, "source": "default"})
    rows += [{**row, "source": "published list price"} for row in OTHER_PRICES]
    return rows
