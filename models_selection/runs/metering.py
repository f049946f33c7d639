"""What a call costs at the run's frozen prices, and its worst case before it is sent."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MONEY_STEP = Decimal("0.000001")  # the ledger's precision
ZERO = Decimal("0")
# A token is never shorter than about 3 characters in the vendors' tokenizers for prose: an upper bound.
CHARS_PER_TOKEN_LOWER_BOUND = 3
TOKENS_PER_MESSAGE = 8


def _price(snapshot: dict[str, Any] | None, name: str) -> Decimal | None:
    value = (snapshot or {}).get(name)
    return None if value in (None, "") else Decimal(str(value))


def is_priced(snapshot: dict[str, Any] | None) -> bool:
    return (snapshot is not None and snapshot.get("provider_type", "LLM") == "LLM"
            and _price(snapshot, "cost_per_1k_input_tokens") is not None
            and _price(snapshot, "cost_per_1k_output_tokens") is not None)


def call_cost(snapshot: dict[str, Any] | None, *, input_tokens: int, output_tokens: int,
              cached_tokens: int = 0) -> Decimal:
    """Usage × the snapshot's prices per 1K tokens (cached input at its cached price), to the ledger's cent."""
    if not is_priced(snapshot):
        return ZERO
    cached = min(cached_tokens, input_tokens)
    cached_price = _price(snapshot, "cost_per_1k_cached_input_tokens") or ZERO
    total = ((Decimal(input_tokens - cached) * _price(snapshot, "cost_per_1k_input_tokens")
              + Decimal(cached) * cached_price
              + Decimal(output_tokens) * _price(snapshot, "cost_per_1k_output_tokens")) / 1000)
    return total.quantize(MONEY_STEP, rounding=ROUND_HALF_UP)


def input_tokens_upper_bound(messages: list[dict[str, str]]) -> int:
    chars = sum(len(m["content"]) for m in messages)
    return math.ceil(chars / CHARS_PER_TOKEN_LOWER_BOUND) + TOKENS_PER_MESSAGE * len(messages)


def worst_case(snapshot: dict[str, Any] | None, *, messages: list[dict[str, str]], max_tokens: int) -> Decimal:
    """The most the call can cost: every prompt token uncached, a full completion."""
    return call_cost(snapshot, input_tokens=input_tokens_upper_bound(messages), output_tokens=max_tokens)
