"""Metering rules on their own: reservations, usage counted when the answer has none, unpriceable usage."""

from __future__ import annotations

from decimal import Decimal

import bpe_openai

from models_selection.runs.metering import (
    MAX_COST,
    MAX_TOKENS_PER_CALL,
    Usage,
    reservation,
    tokens_upper_bound,
    unpriceable,
    usage_of,
)

SNAPSHOT = {"provider_type": "LLM", "cost_per_1k_input_tokens": "0.003", "cost_per_1k_output_tokens": "0.015"}
MESSAGES = [{"role": "system", "content": "You write scripts."}, {"role": "user", "content": "Plants grow."}]


def test_the_upper_bound_counts_utf8_bytes_not_characters():
    assert tokens_upper_bound("") == 0
    assert tokens_upper_bound("abc") == 1
    assert tokens_upper_bound("abcd") == 2
    assert tokens_upper_bound("日本") == 2  # 6 bytes: a character of CJK is often a token of its own


def test_a_reservation_prices_the_prompt_bound_and_a_full_answer_at_max_tokens():
    found = reservation(SNAPSHOT, messages=MESSAGES, max_tokens=1000)

    prompt = tokens_upper_bound("You write scripts.") + tokens_upper_bound("Plants grow.") + 2 * 8
    assert found.max_tokens == 1000
    assert found.amount == (Decimal(prompt) * Decimal("0.003") + 1000 * Decimal("0.015")) / 1000


def test_an_unpriced_model_reserves_nothing():
    assert reservation(None, messages=MESSAGES, max_tokens=1000).amount == 0


def test_reported_usage_is_kept_as_it_is():
    usage = usage_of(kind="openai", model_id="gpt-4o", messages=MESSAGES, text="ok", input_tokens=7,
                     output_tokens=0, cached_tokens=3)

    assert usage == Usage(7, 0, 3, estimated=False)


def test_missing_counts_are_counted_with_openai_s_tokenizer_for_openai():
    encoding = bpe_openai.get_encoding("o200k_base")
    usage = usage_of(kind="openai", model_id="gpt-4o", messages=MESSAGES, text="Seeds need water.",
                     input_tokens=None, output_tokens=None, cached_tokens=0)

    prompt = sum(len(encoding.encode(m["content"])) for m in MESSAGES) + 3 * 2 + 3
    assert usage == Usage(prompt, len(encoding.encode("Seeds need water.")), 0, estimated=True)


def test_a_model_the_tokenizer_package_does_not_list_uses_the_current_encoding():
    encoding = bpe_openai.get_encoding("o200k_base")
    usage = usage_of(kind="openai", model_id="gpt-9-preview", messages=MESSAGES, text="<|endoftext|> done",
                     input_tokens=5, output_tokens=None, cached_tokens=9)

    assert usage == Usage(5, len(encoding.encode("<|endoftext|> done", disallowed_special=())), 5, estimated=True)


def test_other_vendors_are_estimated_at_utf8_bytes_over_three():
    usage = usage_of(kind="anthropic", model_id="claude", messages=MESSAGES, text="Seeds need water.",
                     input_tokens=None, output_tokens=12, cached_tokens=0)

    assert usage == Usage(tokens_upper_bound("You write scripts.") + tokens_upper_bound("Plants grow.") + 16, 12, 0,
                          estimated=True)


def test_usage_within_what_a_call_can_hold_is_priceable():
    assert unpriceable(Usage(MAX_TOKENS_PER_CALL, MAX_TOKENS_PER_CALL, 0, False), MAX_COST) is None


def test_a_token_count_past_any_model_is_unpriceable():
    for usage in (Usage(MAX_TOKENS_PER_CALL + 1, 0, 0, False), Usage(0, MAX_TOKENS_PER_CALL + 1, 0, False),
                  Usage(0, 0, MAX_TOKENS_PER_CALL + 1, False)):
        assert "100,000,001 tokens in one call" in unpriceable(usage, Decimal("1"))


def test_a_cost_past_the_amount_bound_is_unpriceable():
    assert "past the most one operation may cost" in unpriceable(Usage(1, 1, 0, False), MAX_COST + Decimal("0.000001"))
