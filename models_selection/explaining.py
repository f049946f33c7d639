"""Explain: a model compared with the recommended one for a stage, in plain words (reads only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from aura_site import pricing_seam
from aura_site.errors import ValidationFailed

from .models import CatalogModel
from .selectors import (
    CatalogEntry,
    CatalogIndex,
    model_unavailable_reason,
    price_key,
    provider_states,
    ranked_candidates,
)


@dataclass(frozen=True)
class Explanation:
    stage: str
    chosen: CatalogEntry
    recommended: CatalogEntry | None
    verdict: str
    reasons: list[str]


def _money(row: CatalogModel) -> str:
    """The row's input+output price per 1K tokens in its currency, or "unknown"."""
    price = pricing_seam.price_of(row)
    return pricing_seam.unit_price_text(price.per_1k_in_and_out, price.currency) if price else "unknown"


def _currencies_differ(a: CatalogModel, b: CatalogModel) -> bool:
    """Both prices known, in different currencies: not compared."""
    price_a, price_b = pricing_seam.price_of(a), pricing_seam.price_of(b)
    return price_a is not None and price_b is not None and price_a.currency != price_b.currency


def model_explain(*, stage: str, provider: str, model_id: str) -> Explanation:
    """Compare a model with the recommended one for the stage, in plain words (reads only)."""
    providers = provider_states()
    catalog = CatalogIndex.load()
    row = catalog.get(provider, model_id)
    if row is None:
        raise ValidationFailed.on("modelId", f"{model_id!r} is not a {provider} model in the catalog")
    chosen = CatalogEntry(row, model_unavailable_reason(row, providers.get(row.provider.lower())))
    ranked = ranked_candidates(
        catalog=catalog, providers=providers, stage=stage, prefer_provider=row.provider
    )
    best = ranked[0] if ranked else None
    recommended = CatalogEntry(best, None) if best else None
    reasons: list[str] = []
    if stage not in row.stages:
        reasons.append(f"{row.model_id} is not listed as suited to the {stage} stage.")
    if not chosen.is_available:
        reasons.append(f"{row.model_id} is unavailable: {chosen.unavailable_reason}.")
    if row.is_deprecated:
        reasons.append(
            f"{row.model_id} is deprecated"
            + (f"; the vendor recommends {row.replacement}." if row.replacement else ".")
        )
    if best is None:
        verdict = "keep" if chosen.is_available else "no-alternative"
        reasons.append(f"No available, non-deprecated model suits {stage}; configure a provider key.")
        return Explanation(stage, chosen, None, verdict, reasons)
    if best.pk == row.pk:
        reasons.append(
            f"{row.model_id} is the recommended model for {stage}: available, current and the "
            f"cheapest suitable {row.provider} model ({_money(row)} per 1K in+out tokens)."
        )
        return Explanation(stage, chosen, recommended, "keep", reasons)
    chosen_price, best_price = price_key(row), price_key(best)
    if chosen_price != Decimal("Infinity") and best_price != Decimal("Infinity") and not _currencies_differ(row, best):
        if best_price < chosen_price:
            reasons.append(
                f"{best.model_id} costs {_money(best)} per 1K input+output tokens against "
                f"{_money(row)} for {row.model_id}."
            )
        elif best_price > chosen_price:
            reasons.append(
                f"{row.model_id} is cheaper ({_money(row)} against {_money(best)} "
                f"per 1K input+output tokens)."
            )
    if (row.context_window or 0) > (best.context_window or 0):
        reasons.append(
            f"{row.model_id} reads more context ({row.context_window:,} tokens against "
            f"{best.context_window or 0:,})."
        )
    elif (best.context_window or 0) > (row.context_window or 0):
        reasons.append(
            f"{best.model_id} reads more context ({best.context_window:,} tokens against "
            f"{row.context_window or 0:,})."
        )
    if row.last_probe_latency_ms is not None:
        reasons.append(f"{row.model_id} answered its last probe in {row.last_probe_latency_ms} ms.")
    if best.last_probe_latency_ms is not None:
        reasons.append(f"{best.model_id} answered its last probe in {best.last_probe_latency_ms} ms.")
    if not chosen.is_available or row.is_deprecated or stage not in row.stages:
        verdict = "switch"
        reasons.append(f"Prefer {best.model_id}: it is available, current and suits {stage}.")
    elif best_price < chosen_price and not _currencies_differ(row, best):
        verdict = "consider-switching"
        reasons.append(f"{row.model_id} works; {best.model_id} does the same job for less.")
    else:
        verdict = "keep"
        reasons.append(f"Keep {row.model_id}: it is available, current and no suitable model is cheaper.")
    return Explanation(stage, chosen, recommended, verdict, reasons)
