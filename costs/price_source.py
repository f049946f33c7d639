"""The price table as the source of other apps' prices (aura_site.pricing_seam), registered at start-up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from aura_site import pricing_seam

from .display import format_money
from .models import MONEY, Price

_PLACES = Decimal(1).scaleb(-MONEY["decimal_places"])


class PriceTableSource:
    """A model's own price, else its provider's (as `services.price_for` charges), in the rows' query."""

    def with_prices(self, rows: QuerySet, *, provider_field: str, model_field: str) -> QuerySet:
        matching = (
            Price.objects.annotate(lower_name=Lower("provider_name"), lower_model=Lower("model_id"))
            .filter(lower_name=Lower(OuterRef(provider_field)))
            .filter(Q(lower_model=Lower(OuterRef(model_field))) | Q(model_id=""))
            .order_by("-model_id")  # the model's own row before its provider's ("")
        )
        first = matching[:1]
        return rows.annotate(**{
            pricing_seam.INPUT: Subquery(first.values("cost_per_1k_input_tokens")),
            pricing_seam.OUTPUT: Subquery(first.values("cost_per_1k_output_tokens")),
            pricing_seam.CURRENCY: Subquery(first.values("currency")),
        })

    def price_of(self, row: Any) -> pricing_seam.TokenPrice | None:
        currency = getattr(row, pricing_seam.CURRENCY, None)
        if currency is None:
            return None
        return pricing_seam.TokenPrice(_stored(getattr(row, pricing_seam.INPUT, None)),
                                       _stored(getattr(row, pricing_seam.OUTPUT, None)), currency)

    def unit_price_text(self, amount: Decimal, currency: str) -> str:
        return format_money(amount, currency, unit=True)


def _stored(value: Any) -> Decimal | None:
    """An amount as the table stores it (a subquery's value comes back unrounded on SQLite)."""
    return None if value is None else Decimal(value).quantize(_PLACES)


def register() -> None:
    pricing_seam.set_price_source(PriceTableSource())
