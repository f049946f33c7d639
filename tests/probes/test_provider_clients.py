"""The real probe client against the fake provider: every vendor's success and failure paths."""

from __future__ import annotations

import logging

import pytest

from models_selection import providers
from tests.fake_provider import GOOD_KEY

SECRET = "sk-not-the-right-key-1234"
KINDS = ["openai", "openai_compatible", "anthropic", "gemini"]


def probe_model(*, kind, **call):
    return providers.get(kind).probe(**call)


def _key(kind):
    """The good key for kinds that need one; None for the rest (Ollama)."""
    return GOOD_KEY if providers.get(kind).needs_key else None


def _probe(server, kind, model="some-model", key=GOOD_KEY, timeout=1.0):
    return probe_model(kind=kind, base_url=server.base_url(kind), api_key=key, model_id=model, timeout=timeout)


@pytest.mark.parametrize("kind", KINDS + ["ollama"])
def test_an_existing_model_is_available_with_its_latency(fake_provider, kind):
    outcome = _probe(fake_provider, kind, key=_key(kind))
    assert outcome.is_available and outcome.error_message is None
    assert outcome.latency_ms is not None and outcome.latency_ms >= 0


def test_gemini_and_ollama_report_their_limits(fake_provider):
    gemini = _probe(fake_provider, "gemini")
    assert (gemini.context_window, gemini.max_tokens) == (1048576, 65536)
    assert _probe(fake_provider, "ollama", key=None).context_window == 131072


@pytest.mark.parametrize(("kind", "header", "value"), [
    ("openai", "Authorization", f"Bearer {GOOD_KEY}"),
    ("anthropic", "x-api-key", GOOD_KEY),
    ("gemini", "x-goog-api-key", GOOD_KEY),
])
def test_the_key_travels_in_the_vendors_header_and_never_in_the_url(fake_provider, kind, header, value):
    _probe(fake_provider, kind)
    request = fake_provider.requests[-1]
    assert {k.lower(): v for k, v in request["headers"].items()}[header.lower()] == value
    assert GOOD_KEY not in request["path"]
    if kind == "anthropic":
        assert request["headers"]["anthropic-version"] == "2023-06-01"


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_key_is_unauthorized_and_never_echoed(fake_provider, kind, caplog):
    caplog.set_level(logging.DEBUG)
    outcome = _probe(fake_provider, kind, key=SECRET)
    assert not outcome.is_available
    assert "unauthorized" in outcome.error_message
    assert SECRET not in repr(outcome) and SECRET not in caplog.text


@pytest.mark.parametrize("kind", KINDS + ["ollama"])
def test_an_unknown_model_is_a_404(fake_provider, kind):
    outcome = _probe(fake_provider, kind, model="missing-model", key=_key(kind))
    assert not outcome.is_available and "404" in outcome.error_message and "missing-model" in outcome.error_message


def test_a_slow_provider_times_out(fake_provider):
    outcome = _probe(fake_provider, "openai", model="slow-model", timeout=0.3)
    assert not outcome.is_available and "timeout" in outcome.error_message


def test_a_rate_limit_says_when_to_retry(fake_provider):
    outcome = _probe(fake_provider, "anthropic", model="busy-model")
    assert "429" in outcome.error_message and "retry after 7 s" in outcome.error_message


def test_connection_refused_is_reported():
    outcome = probe_model(kind="openai", base_url="http://127.0.0.1:9/v1", api_key=SECRET, model_id="m", timeout=1)
    assert not outcome.is_available and "Could not connect" in outcome.error_message
    assert SECRET not in outcome.error_message


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown provider kind"):
        probe_model(kind="telepathy", base_url="http://127.0.0.1:9", api_key=None, model_id="m")
