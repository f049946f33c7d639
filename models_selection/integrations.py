"""Where model selection meets another app: the one money format of the costs app."""

from __future__ import annotations

from typing import Any

from costs.display import format_money


def unit_price_text(amount: Any, currency: str) -> str:
    """A per-1K price in the one money format of the costs app ('$0.0025')."""
    return format_money(amount, currency, unit=True)
