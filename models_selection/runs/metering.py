"""What a call costs at the run's frozen prices: its reservation before it is sent, its usage after.

Usage is what the provider reported. When the answer reports none, the tokens are counted here and the
cost is flagged `estimated` (never 0): OpenAI's models with their own tokenizer (the vocabularies ship
inside the bpe-openai package; tiktoken would download them at run time), every other model with the
conservative estimate of `tokens_upper_bound`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import bpe_openai

from aura_site.schemas import AMOUNT_MAX

MONEY_STEP = Decimal("0.000001")  # the ledger's precision
ZERO = Decimal("0")
# A token of prose is never shorter than about 3 bytes of UTF-8 in the vendors' tokenizers: an upper bound.
BYTES_PER_TOKEN_LOWER_BOUND = 3
TOKENS_PER_MESSAGE = 8
# OpenAI's chat format: each message is wrapped in 3 tokens, and the answer is primed with 3 more.
OPENAI_TOKENS_PER_MESSAGE = 3
OPENAI_REPLY_PRIMING = 3
OPENAI_DEFAULT_ENCODING = "o200k_base"  # every OpenAI chat model since gpt-4o
# No model reads or writes this many tokens in one call (the largest context windows hold a few million):
# a count past it is a fault of the provider, and refusing it keeps every token column far from its limit.
MAX_TOKENS_PER_CALL = 100_000_000
# The most one computed amount may be: the bound the ledger write enforces on every operation.
MAX_COST = AMOUNT_MAX


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


def tokens_upper_bound(text: str) -> int:
    """At least as many tokens as `text` holds in any vendor's tokenizer, for prose (UTF-8 bytes / 3)."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN_LOWER_BOUND)


def input_tokens_upper_bound(messages: list[dict[str, str]]) -> int:
    return sum(tokens_upper_bound(m["content"]) for m in messages) + TOKENS_PER_MESSAGE * len(messages)


@dataclass(frozen=True)
class Reservation:
    """What a call may cost at most, and the completion length it was priced at (sent as max_tokens)."""

    amount: Decimal
    max_tokens: int


def reservation(snapshot: dict[str, Any] | None, *, messages: list[dict[str, str]], max_tokens: int) -> Reservation:
    """The most the call can cost: every prompt token uncached, a full completion of `max_tokens`."""
    amount = call_cost(snapshot, input_tokens=input_tokens_upper_bound(messages), output_tokens=max_tokens)
    return Reservation(amount, max_tokens)


# --- usage after the call -------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _encoding(name: str) -> Any:
    return bpe_openai.get_encoding(name)


def _openai_encoding(model_id: str) -> Any:
    try:
        return _encoding(bpe_openai.encoding_name_for_model(model_id))
    except KeyError:  # a model the package does not list (newer ones use the default encoding)
        return _encoding(OPENAI_DEFAULT_ENCODING)


def _count(kind: str, model_id: str, text: str) -> int:
    if kind == "openai":
        return len(_openai_encoding(model_id).encode(text, disallowed_special=()))
    return tokens_upper_bound(text)


def estimated_input_tokens(*, kind: str, model_id: str, messages: list[dict[str, str]]) -> int:
    if kind == "openai":
        overhead = OPENAI_TOKENS_PER_MESSAGE * len(messages) + OPENAI_REPLY_PRIMING
    else:
        overhead = TOKENS_PER_MESSAGE * len(messages)
    return sum(_count(kind, model_id, m["content"]) for m in messages) + overhead


def estimated_output_tokens(*, kind: str, model_id: str, text: str) -> int:
    return _count(kind, model_id, text)


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    estimated: bool  # some count was missing from the answer and was counted here


def usage_of(*, kind: str, model_id: str, messages: list[dict[str, str]], text: str, input_tokens: int | None,
             output_tokens: int | None, cached_tokens: int) -> Usage:
    """The usage of a call: as reported, with each count the answer left out counted here instead."""
    estimated = input_tokens is None or output_tokens is None
    if input_tokens is None:
        input_tokens = estimated_input_tokens(kind=kind, model_id=model_id, messages=messages)
    if output_tokens is None:
        output_tokens = estimated_output_tokens(kind=kind, model_id=model_id, text=text)
    return Usage(input_tokens, output_tokens, min(cached_tokens, input_tokens), estimated)


def unpriceable(usage: Usage, cost: Decimal) -> str | None:
    """Why a reported usage cannot be priced (no model spends that much in one call), or None."""
    largest = max(usage.input_tokens, usage.output_tokens, usage.cached_tokens)
    if largest > MAX_TOKENS_PER_CALL:
        return f"{largest:,} tokens in one call is past the most any model handles ({MAX_TOKENS_PER_CALL:,})"
    if cost > MAX_COST:
        return f"its cost {cost} is past the most one operation may cost ({MAX_COST})"
    return None
