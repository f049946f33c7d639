"""The seed catalog: providers and model facts from data/catalog.json (prices are in costs' price seed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "catalog.json"


def catalog_entries(path: Path = CATALOG_FILE) -> dict[str, list[dict[str, Any]]]:
    """Providers and models from the data file."""
    data = json.loads(path.read_text())
    models = []
    for entry in data["models"]:
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
            }
        )
    providers = [
        {"name": p["name"], "kind": p["kind"], "needs_api_key": p["needsApiKey"], "enabled": p["enabled"]}
        for p in data["providers"]
    ]
    return {"providers": providers, "models": models}
