"""Calls to the AI providers through their maintained SDKs, with timeouts and retries on 429/5xx.

- OpenAI, OpenAI-compatible servers and Ollama (its OpenAI-compatible `/v1` endpoint): `openai`.
- Anthropic: `anthropic` (Messages API).
- Gemini: its OpenAI-compatible endpoint (`…/v1beta/openai/`) through `openai`. One SDK then covers
  three vendors with the same retry, timeout and usage semantics, and Gemini's endpoint reports usage
  (prompt, completion and cached tokens) in the same shape; google-genai would add a second client with
  its own retry and error model for no gain in what a run needs.

Every SDK client is built on an HTTP client made by `_http_client`: the single place where outgoing
requests are configured (no redirects followed, the timeout); `chat` checks the base URL first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
import openai

from aura_site.outbound import OutboundRefused, outbound_check, private_urls_allowed

ANTHROPIC_VERSION_HEADER = "2023-06-01"
OLLAMA_PLACEHOLDER_KEY = "ollama"  # Ollama needs no key, the SDK needs a value


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    latency_ms: int
    sent: dict[str, Any]  # the request parameters as sent (no key)


class ProviderCallError(Exception):
    """A call that failed after the SDK's retries; `status` is the provider's HTTP status if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _http_client(kind: str, base_url: str, timeout: float) -> httpx2.Client:
    """The HTTP client under every SDK client: follows no redirect, bounded by the timeout.

    Where a run's requests may go is checked by `chat` before this client is built (the outgoing-address
    guard of aura_site.outbound: private addresses refused unless the provider, such as a local Ollama,
    is allowed them).
    """
    return httpx2.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def _openai_base(kind: str, base_url: str) -> str:
    base = base_url.rstrip("/")
    if kind == "gemini":
        return f"{base}/v1beta/openai/"
    if kind == "ollama":
        return f"{base}/v1"
    return base  # OpenAI and compatible servers: the base URL includes the version (…/v1)


def _redact(message: str, api_key: str | None) -> str:
    return message.replace(api_key, "[redacted]") if api_key else message


def chat(*, kind: str, base_url: str, api_key: str | None, model_id: str, messages: list[dict[str, str]],
         sampling: dict[str, Any], timeout: float, max_retries: int) -> Completion:
    """One completion from exactly `model_id` at the provider; raises ProviderCallError."""
    started = time.perf_counter()
    try:
        outbound_check(base_url, allow_private=private_urls_allowed(local_provider=kind == "ollama"))
    except OutboundRefused as error:
        raise ProviderCallError(f"The provider's base URL may not be called: {error}.") from None
    http = _http_client(kind, base_url, timeout)
    try:
        if kind == "anthropic":
            text, usage, sent = _anthropic_call(http, base_url, api_key, model_id, messages, sampling, timeout,
                                                max_retries)
        else:
            text, usage, sent = _openai_call(http, kind, base_url, api_key, model_id, messages, sampling, timeout,
                                             max_retries)
    except (openai.APIStatusError, anthropic.APIStatusError) as error:
        raise ProviderCallError(_redact(f"HTTP {error.status_code}: {error.message}", api_key),
                                error.status_code) from None
    except (openai.APITimeoutError, anthropic.APITimeoutError):
        raise ProviderCallError(f"The provider did not answer within {timeout:g} s (timeout).") from None
    except (openai.APIConnectionError, anthropic.APIConnectionError):
        raise ProviderCallError("Could not connect to the provider (connection refused or unreachable).") from None
    except (openai.OpenAIError, anthropic.AnthropicError) as error:
        raise ProviderCallError(_redact(f"The provider call failed: {error}", api_key)) from None
    finally:
        http.close()
    latency = round((time.perf_counter() - started) * 1000)
    return Completion(text, usage[0], usage[1], usage[2], latency, sent)


def _openai_call(http, kind, base_url, api_key, model_id, messages, sampling, timeout, max_retries):
    key = api_key or (OLLAMA_PLACEHOLDER_KEY if kind == "ollama" else "")
    client = openai.OpenAI(api_key=key or "missing", base_url=_openai_base(kind, base_url), timeout=timeout,
                           max_retries=max_retries, http_client=http)
    sent = {"model": model_id, "messages": messages, **sampling}
    if kind == "openai":
        # OpenAI's own API replaced max_tokens with max_completion_tokens (its newer models refuse the
        # old name); compatible servers, Ollama and Gemini's endpoint take max_tokens.
        sent["max_completion_tokens"] = sent.pop("max_tokens")
    response = client.chat.completions.create(**sent)
    choice = response.choices[0] if response.choices else None
    text = (choice.message.content if choice and choice.message else "") or ""
    usage = response.usage
    cached = 0
    if usage is not None and getattr(usage, "prompt_tokens_details", None) is not None:
        cached = usage.prompt_tokens_details.cached_tokens or 0
    counts = (usage.prompt_tokens or 0, usage.completion_tokens or 0, cached) if usage else (0, 0, 0)
    return text, counts, sent


def _anthropic_call(http, base_url, api_key, model_id, messages, sampling, timeout, max_retries):
    client = anthropic.Anthropic(api_key=api_key or "missing", base_url=base_url.rstrip("/"), timeout=timeout,
                                 max_retries=max_retries, http_client=http)
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    # The Messages API of the current SDK takes no sampling parameters besides max_tokens (no temperature,
    # top_p or penalties): they are recorded as not sent rather than forced through.
    sent = {"model": model_id, "system": system, "messages": [m for m in messages if m["role"] != "system"],
            "max_tokens": sampling["max_tokens"]}
    response = client.messages.create(**sent)
    sent = {**sent, "not_sent": {k: v for k, v in sampling.items() if k != "max_tokens"}}
    text = "".join(block.text for block in response.content if getattr(block, "type", "") == "text")
    usage = response.usage
    cached = (usage.cache_read_input_tokens or 0) if usage else 0
    created = (getattr(usage, "cache_creation_input_tokens", 0) or 0) if usage else 0
    # Anthropic counts cached and cache-written tokens apart from input_tokens: the total input is the sum.
    counts = ((usage.input_tokens or 0) + cached + created, usage.output_tokens or 0, cached) if usage else (0, 0, 0)
    return text, counts, sent
