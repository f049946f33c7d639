"""The catalog ranks and explains models by the price table (costs.Price, with its currency), the only one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costs.models import Price
from models_selection import resolving
from models_selection.explaining import model_explain

from .conftest import set_price

pytestmark = pytest.mark.django_db


def _fallback() -> tuple[str, str]:
    resolution = resolving.stage_resolve(stage="script", overrides={}, allow_auto_fallback=True)
    assert resolution.source == "AutomaticFallback" and not resolution.is_blocked
    return resolution.provider, resolution.model_id


def test_the_automatic_fallback_takes_the_cheapest_model_of_the_price_table(world):
    assert _fallback() == ("OpenAI", "gpt-4o-mini")

    set_price("Anthropic", "claude-haiku-4-5", "0.00001", "0.00002")

    assert _fallback() == ("Anthropic", "claude-haiku-4-5")


def test_a_model_without_a_price_of_its_own_is_priced_by_its_providers_row_else_ranked_last(world):
    set_price("OpenAI", "gpt-4o-mini", None, None)
    assert _fallback() == ("Anthropic", "claude-haiku-4-5")  # gpt-4o-mini's price is now unknown

    Price.objects.create(provider_name="openai", model_id="", cost_per_1k_input_tokens=Decimal("0"),
                         cost_per_1k_output_tokens=Decimal("0.0001"))

    assert _fallback() == ("OpenAI", "gpt-4o-mini")


def test_the_catalog_api_reports_the_price_tables_prices(world, owner_api):
    set_price("OpenAI", "gpt-4o", "0.0031", None)

    listed = owner_api.get("/api/models/available", {"provider": "OpenAI"}).json()["providers"]["OpenAI"]

    gpt4o = next(m for m in listed if m["modelId"] == "gpt-4o")
    assert (Decimal(gpt4o["inputPricePer1K"]), gpt4o["outputPricePer1K"]) == (Decimal("0.0031"), None)
    mini = next(m for m in listed if m["modelId"] == "gpt-4o-mini")
    assert (Decimal(mini["inputPricePer1K"]), Decimal(mini["outputPricePer1K"])) == (
        Decimal("0.00015"), Decimal("0.0006"))


def test_explain_names_prices_in_their_currency(world):
    for price in Price.objects.filter(provider_name__in=["OpenAI", "Anthropic"]):
        price.currency = "EUR"
        price.save()

    reasons = " ".join(model_explain(stage="script", provider="OpenAI", model_id="gpt-4o").reasons)

    assert "gpt-4o-mini costs €0.00075 per 1K input+output tokens against €0.0125 for gpt-4o." in reasons
    assert "$" not in reasons


def test_explain_does_not_compare_prices_in_different_currencies(world):
    set_price("OpenAI", "gpt-4o-mini", "0.00015", "0.0006", currency="EUR")

    explained = model_explain(stage="script", provider="OpenAI", model_id="gpt-4o")

    assert explained.recommended.row.model_id == "gpt-4o-mini"
    assert not any("per 1K input+output tokens" in reason for reason in explained.reasons)
    assert explained.verdict == "keep"


def test_every_seeded_catalog_model_is_priced_by_the_seeded_price_table():
    from aura_site import pricing_seam
    from models_selection.selectors import CatalogIndex

    rows = CatalogIndex.load().rows
    assert len(rows) > 30
    unpriced = [str(row) for row in rows if pricing_seam.price_of(row) is None]
    assert unpriced == []
    ollama = next(row for row in rows if row.provider == "Ollama")
    assert pricing_seam.price_of(ollama) == pricing_seam.TokenPrice(Decimal(0), Decimal(0), "USD")  # its provider's
