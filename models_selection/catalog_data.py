"""The seed catalog: facts from data/catalog.json, prices from the `genai-prices` package."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from genai_prices import Usage, calc_price

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "catalog.json"
_THOUSAND = 1000


def price_per_1k(ref: dict[str, str]) -> tuple[Decimal | None, Decimal | None]:
    """Input and output USD per 1K tokens from genai-prices (None, None when it does not know the model)."""
    try:
        result = calc_price(
            Usage(input_tokens=_THOUSAND, output_tokens=_THOUSAND), ref["model"], provider_id=ref["provider"]
        )
    except LookupError:
        return None, None
    return result.input_price, result.output_price


def catalog_entries(path: Path = CATALOG_FILE) -> dict[str, list[dict[str, Any]]]:
    """Providers and models from the data file, each model with its prices filled in."""
    data = json.loads(path.read_text())
    models = []
    for entry in data["models"]:
        if entry.get("pricesRef"):
            input_price, output_price = price_per_1k(entry["pricesRef"])
        else:
            fixed = entry.get("prices") or {}
            input_price = Decimal(fixed["inputPer1K"]) if "inputPer1K" in fixed else None
            output_price = Decimal(fixed["outputPer1K"]) if "outputPer1K" in fixed else None
        models.append(
            {
                "provider": entry["provider"],
                "model_id": entry["modelId"],
                "context_window": entry.get("contextWindow"),
                "max_tokens": entry.get("maxTokens"),
                "aliases": entry.get("aliases", []),
                "is_deprecated": entry.get("isDeprecated", False),
                "is_retired": entry.get("isRetired", False),
                "replacement": entry.get("replacement", ""),
                "stages": entry.get("stages", []),
                "notes": entry.get("notes", ""),
                "input_price_per_1k": input_price,
                "output_price_per_1k": output_price,
            }
        )
    providers = [
        {"name": p["name"], "kind": p["kind"], "needs_api_key": p["needsApiKey"], "enabled": p["enabled"]}
        for p in data["providers"]
    ]
    return {"providers": providers, "models": models}
