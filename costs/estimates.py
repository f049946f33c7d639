"""Estimates: the worst-case cost of planned operations, in all and per provider."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .configuration import configuration_get
from .models import ZERO
from .pricing import charge, price_for, price_table


@dataclass
class Estimate:
    items: list[dict[str, Any]]
    total: Decimal
    unpriced: list[dict[str, Any]]
    by_provider: dict[str, Decimal]


def estimate_items(items: list[dict[str, Any]]) -> Estimate:
    """Worst-case cost of planned operations: prompt + max tokens, characters, images, seconds."""
    table = price_table({i["provider"] for i in items})
    currency = configuration_get().currency
    out, unpriced, total, by_provider = [], [], ZERO, {}
    for index, item in enumerate(items):
        price = price_for(table, item["provider"], item.get("model") or "")
        output_tokens = item.get("max_tokens") or item.get("output_tokens") or 0
        computed = charge(price, input_tokens=item.get("input_tokens") or 0, output_tokens=output_tokens,
                          characters=item.get("characters") or 0, images=item.get("images") or 0,
                          seconds=item.get("seconds") or 0, currency=currency)
        row = {"index": index, "provider": item["provider"], "model": item.get("model") or "",
               "stage": item.get("stage") or "", "cost": None if computed.cost is None else float(computed.cost),
               "priced": computed.cost is not None}
        if computed.cost is None:
            row["reason"] = computed.missing
            unpriced.append(row)
        else:
            total += computed.cost
            by_provider[item["provider"]] = by_provider.get(item["provider"], ZERO) + computed.cost
        out.append(row)
    return Estimate(out, total, unpriced, by_provider)

