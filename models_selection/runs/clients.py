"""Calls to the AI providers through their maintained SDKs, with timeouts and retries on 429/5xx.

- OpenAI, OpenAI-compatible servers and Ollama (its OpenAI-compatible `/v1` endpoint): `openai`.
- Anthropic: `anthropic` (Messages API).
- Gemini: its OpenAI-compatible endpoint (`…/v1beta/openai/`) through `openai`. One SDK then covers
  three vendors with the same retry, timeout and usage semantics, and Gemini's endpoint reports usage
  (prompt, completion and cached tokens) in the same shape; google-genai would add a second client with
  its own retry and error model for no gain in what a run needs.

Every SDK client is built on `aura_site.outbound.outbound_sdk_client`, the transport probes and webhooks
use too: no redirects followed, the timeout, and the address checked where the socket is opened (a base
URL whose name resolves anew to a private address is refused then, with the key never sent). `chat`
also checks the base URL first, for a clear message before any key is prepared.

What the provider answers is read defensively: a body that is not a completion (HTML, empty, invalid
JSON, a wrong shape) is a ProviderCallError, and usage counts are passed on as reported (None where the
answer has none) for metering to price, estimate or refuse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anthropic
import openai
from anthropic.types import Message
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from aura_site.outbound import OutboundRefused, outbound_check, outbound_sdk_client, private_urls_allowed

ANTHROPIC_VERSION_HEADER = "2023-06-01"
OLLAMA_PLACEHOLDER_KEY = "ollama"  # Ollama needs no key, the SDK needs a value


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int | None  # None: the answer reported no such count
    output_tokens: int | None
    cached_tokens: int
    latency_ms: int
    sent: dict[str, Any]  # the request parameters as sent (no key)
    usage: dict[str, Any] | None = None  # the usage as the provider reported it, for investigation


class ProviderCallError(Exception):
    """A call that failed after the SDK's retries; `status` is the provider's HTTP status if any."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


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
    allow_private = private_urls_allowed(local_provider=kind == "ollama")
    try:
        outbound_check(base_url, allow_private=allow_private)
    except OutboundRefused as error:
        raise _refused(error) from None
    http = outbound_sdk_client(allow_private=allow_private, timeout=timeout)
    try:
        if kind == "anthropic":
            text, usage, sent = _anthropic_call(http, base_url, api_key, model_id, messages, sampling, timeout,
                                                max_retries)
        else:
            text, usage, sent = _openai_call(http, kind, base_url, api_key, model_id, messages, sampling, timeout,
                                             max_retries)
    except OutboundRefused as error:  # raised where the socket is opened: the name now resolves elsewhere
        raise _refused(error) from None
    except (openai.APIStatusError, anthropic.APIStatusError) as error:
        raise ProviderCallError(_redact(f"HTTP {error.status_code}: {error.message}", api_key),
                                error.status_code) from None
    except (openai.APITimeoutError, anthropic.APITimeoutError):
        raise ProviderCallError(f"The provider did not answer within {timeout:g} s (timeout).") from None
    except (openai.APIConnectionError, anthropic.APIConnectionError) as error:
        refused = _outbound_refusal(error)
        if refused is not None:  # an SDK that wraps every transport error (anthropic's) wrapped this one
            raise _refused(refused) from None
        raise ProviderCallError("Could not connect to the provider (connection refused or unreachable).") from None
    except (openai.OpenAIError, anthropic.AnthropicError) as error:
        raise ProviderCallError(_redact(f"The provider call failed: {error}", api_key)) from None
    finally:
        http.close()
    latency = round((time.perf_counter() - started) * 1000)
    return Completion(text, usage.input_tokens, usage.output_tokens, usage.cached_tokens, latency, sent, usage.raw)


def _refused(refusal: OutboundRefused) -> ProviderCallError:
    """The call error for a base URL the outbound rule refuses, up front or where the socket is opened."""
    return ProviderCallError(f"The provider's base URL may not be called: {refusal}.")


def _outbound_refusal(error: BaseException) -> OutboundRefused | None:
    """The outbound rule's refusal behind an SDK's connection error, if that is what it was."""
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, OutboundRefused):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


@dataclass(frozen=True)
class _Usage:
    input_tokens: int | None
    output_tokens: int | None
    cached_tokens: int
    raw: dict[str, Any] | None


def _answer(raw: Any, expected: type) -> Any:
    """The SDK's object for an answer, or ProviderCallError when its body is not one (HTML, empty, bad JSON)."""
    body = raw.http_response.read()
    content_type = raw.headers.get("content-type") or "no content type"
    if not body.strip():
        problem = "an empty body"
    else:
        try:
            parsed = raw.parse()
        except ValueError as error:  # json.JSONDecodeError
            problem = f"a body that is not valid JSON ({content_type}, {len(body)} bytes: {error})"
        else:
            if isinstance(parsed, expected):
                return parsed
            problem = f"a body that is not a completion ({content_type}, {len(body)} bytes)"
    raise ProviderCallError(f"The provider answered HTTP {raw.status_code} with {problem}.", raw.status_code)


def _unreadable(what: str) -> ProviderCallError:
    return ProviderCallError(f"The provider's answer is not a completion: {what}.")


def _count(usage: Any, name: str) -> int | None:
    """A token count of the usage as reported: None when absent, refused when it is not a count."""
    value = getattr(usage, name, None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _unreadable(f"its usage {name} is {value!r}, not a token count")
    return value


def _raw_usage(usage: Any) -> dict[str, Any] | None:
    if isinstance(usage, BaseModel):
        return usage.model_dump(mode="json", exclude_none=True, warnings=False)
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _unreadable("its text is not a string")
    return value


def _openai_call(http, kind, base_url, api_key, model_id, messages, sampling, timeout, max_retries):
    key = api_key or (OLLAMA_PLACEHOLDER_KEY if kind == "ollama" else "")
    client = openai.OpenAI(api_key=key or "missing", base_url=_openai_base(kind, base_url), timeout=timeout,
                           max_retries=max_retries, http_client=http)
    sent = {"model": model_id, "messages": messages, **sampling}
    if kind == "openai":
        # OpenAI's own API replaced max_tokens with max_completion_tokens (its newer models refuse the
        # old name); compatible servers, Ollama and Gemini's endpoint take max_tokens.
        sent["max_completion_tokens"] = sent.pop("max_tokens")
    response = _answer(client.chat.completions.with_raw_response.create(**sent), ChatCompletion)
    choices = response.choices
    if not isinstance(choices, list) or not choices:
        raise _unreadable("it has no choices")
    text = _text(getattr(getattr(choices[0], "message", None), "content", None))
    usage = response.usage
    details = getattr(usage, "prompt_tokens_details", None)
    cached = _count(details, "cached_tokens") or 0
    return text, _Usage(_count(usage, "prompt_tokens"), _count(usage, "completion_tokens"), cached,
                        _raw_usage(usage)), sent


def _anthropic_call(http, base_url, api_key, model_id, messages, sampling, timeout, max_retries):
    client = anthropic.Anthropic(api_key=api_key or "missing", base_url=base_url.rstrip("/"), timeout=timeout,
                                 max_retries=max_retries, http_client=http)
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    # The Messages API of the current SDK takes no sampling parameters besides max_tokens (no temperature,
    # top_p or penalties): they are recorded as not sent rather than forced through.
    sent = {"model": model_id, "system": system, "messages": [m for m in messages if m["role"] != "system"],
            "max_tokens": sampling["max_tokens"]}
    response = _answer(client.messages.with_raw_response.create(**sent), Message)
    sent = {**sent, "not_sent": {k: v for k, v in sampling.items() if k != "max_tokens"}}
    if not isinstance(response.content, list):
        raise _unreadable("it has no content blocks")
    text = "".join(_text(getattr(block, "text", None)) for block in response.content
                   if getattr(block, "type", "") == "text")
    usage = response.usage
    cached = _count(usage, "cache_read_input_tokens") or 0
    created = _count(usage, "cache_creation_input_tokens") or 0
    uncached = _count(usage, "input_tokens")
    # Anthropic counts cached and cache-written tokens apart from input_tokens: the total input is the sum.
    total_input = None if uncached is None else uncached + cached + created
    return text, _Usage(total_input, _count(usage, "output_tokens"), cached, _raw_usage(usage)), sent
