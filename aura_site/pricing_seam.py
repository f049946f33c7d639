"""Token prices for apps that may not import costs: costs registers the one source of prices.

`costs.Price` (with its currency) is the only table of prices. The model catalog ranks models for the
automatic fallback and compares them in Explain by price without importing costs: it asks this seam,
and costs registers its source in `CostsConfig.ready()`. With no source registered every price is
unknown (ranked last, explained as "unknown").

`with_prices(rows)` reads each catalog row's price in the same query as the rows (a model's own price,
else its provider's, as runs are charged), so loading the catalog costs no extra query; `price_of(row)`
then gives the price of a row loaded that way (the attributes named by INPUT, OUTPUT and CURRENCY).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import QuerySet

# What a source's `with_prices` adds to each row.
INPUT, OUTPUT, CURRENCY = "price_input_per_1k", "price_output_per_1k", "price_currency"


@dataclass(frozen=True)
class TokenPrice:
    input_per_1k: Decimal | None
    output_per_1k: Decimal | None
    currency: str

    @property
    def per_1k_in_and_out(self) -> Decimal | None:
        """Input plus output per 1K tokens (a missing side counts 0); None when neither is known."""
        if self.input_per_1k is None and self.output_per_1k is None:
            return None
        return (self.input_per_1k or Decimal(0)) + (self.output_per_1k or Decimal(0))


class PriceSource(Protocol):
    def with_prices(self, rows: QuerySet, *, provider_field: str, model_field: str) -> QuerySet:
        """The rows, each with INPUT, OUTPUT and CURRENCY read in the same query (None: no price)."""

    def price_of(self, row: Any) -> TokenPrice | None:
        """The price of a row loaded through `with_prices`."""

    def unit_price_text(self, amount: Decimal, currency: str) -> str:
        """A per-1K price in the app's money format ('$0.0025')."""


_source: PriceSource | None = None


def set_price_source(source: PriceSource | None) -> None:
    global _source
    _source = source


def with_prices(rows: QuerySet, *, provider_field: str = "provider", model_field: str = "model_id") -> QuerySet:
    """The rows with their price (see `price_of`); unchanged when no source is registered."""
    if _source is None:
        return rows
    return _source.with_prices(rows, provider_field=provider_field, model_field=model_field)


def price_of(row: Any) -> TokenPrice | None:
    """The price of a row loaded through `with_prices`; None when nothing prices it."""
    price = _source.price_of(row) if _source is not None else None
    return price if price is not None and price.per_1k_in_and_out is not None else None


def unit_price_text(amount: Decimal, currency: str) -> str:
    if _source is None:
        return f"{amount} {currency}"
    return _source.unit_price_text(amount, currency)
