"""Metering rules on their own: reservations, usage counted when the answer has none, unpriceable usage."""

from __future__ import annotations

from decimal import Decimal

import bpe_openai

from models_selection.runs.metering import (
    MAX_COST,
    MAX_TOKENS_PER_CALL,
    Usage,
    call_cost,
    is_priced,
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


def test_a_model_is_priced_only_with_both_token_prices_on_an_llm_snapshot():
    assert is_priced(SNAPSHOT)
    assert is_priced({k: v for k, v in SNAPSHOT.items() if k != "provider_type"})  # LLM when unsaid
    assert not is_priced(None)
    assert not is_priced({**SNAPSHOT, "provider_type": "TTS"})
    assert not is_priced({**SNAPSHOT, "cost_per_1k_input_tokens": None})
    assert not is_priced({**SNAPSHOT, "cost_per_1k_output_tokens": ""})
    assert call_cost({**SNAPSHOT, "cost_per_1k_output_tokens": ""}, input_tokens=1000, output_tokens=1000) == 0


def test_cached_prompt_tokens_are_charged_at_the_cached_price_and_never_more_than_the_prompt():
    cached = {**SNAPSHOT, "cost_per_1k_cached_input_tokens": "0.001"}
    # 600 uncached × 0.003 + 400 cached × 0.001 + 500 × 0.015, per 1K tokens
    assert call_cost(cached, input_tokens=1000, output_tokens=500, cached_tokens=400) == Decimal("0.0097")
    # Cached tokens past the prompt are capped at the prompt: all 1000 at the cached price.
    assert call_cost(cached, input_tokens=1000, output_tokens=0, cached_tokens=5000) == Decimal("0.001")
    # Without a cached price, cached tokens cost nothing extra and the rest stays at the input price.
    assert call_cost(SNAPSHOT, input_tokens=1000, output_tokens=0, cached_tokens=400) == Decimal("0.0018")


def test_a_cost_is_rounded_half_up_to_the_ledgers_millionth():
    # 1 token at 0.0005 per 1K is 0.0000005: exactly half a millionth goes up, not to the even 0.
    assert call_cost({**SNAPSHOT, "cost_per_1k_input_tokens": "0.0005"}, input_tokens=1, output_tokens=0) == (
        Decimal("0.000001"))
