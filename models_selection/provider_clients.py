"""Probe a provider's model over its real HTTP API: is it there, may our key use it, what can it do.

Each vendor is asked the cheapest question that proves access: a model lookup (OpenAI and compatible
servers, Anthropic, Gemini) or `show` (Ollama). The API key goes only into a request header — never into
a URL, a message or a log line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from aura_site.outbound import OutboundRefused, outbound_check, outbound_client, private_urls_allowed

USER_AGENT = "aura-control-center/1.0 (model probe)"
VENDORS = {"openai": "OpenAI", "openai_compatible": "the OpenAI-compatible server", "anthropic": "Anthropic",
           "gemini": "Gemini", "ollama": "Ollama"}


@dataclass(frozen=True)
class ProbeOutcome:
    is_available: bool
    model_id: str
    context_window: int | None
    max_tokens: int | None
    is_deprecated: bool | None
    latency_ms: int | None
    error_message: str | None


def _request(kind: str, base_url: str, api_key: str | None, model_id: str) -> tuple[str, str, dict, Any]:
    """Method, URL, headers and JSON body of the probe request for this kind of provider."""
    base = base_url.rstrip("/")
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    quoted = httpx.URL(f"http://x/{model_id}").path.lstrip("/")  # percent-encode the id for the path
    if kind in {"openai", "openai_compatible"}:
        # The base URL includes the API version (…/v1), as OpenAI's own clients expect.
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return "GET", f"{base}/models/{quoted}", headers, None
    if kind == "anthropic":
        headers["anthropic-version"] = "2023-06-01"
        if api_key:
            headers["x-api-key"] = api_key
        return "GET", f"{base}/v1/models/{quoted}", headers, None
    if kind == "gemini":
        if api_key:
            headers["x-goog-api-key"] = api_key
        return "GET", f"{base}/v1beta/models/{quoted}", headers, None
    if kind == "ollama":
        return "POST", f"{base}/api/show", headers, {"model": model_id}
    raise ValueError(f"unknown provider kind {kind!r}")


def _capabilities(kind: str, body: dict[str, Any]) -> tuple[int | None, int | None, bool | None]:
    """Context window, max output tokens and deprecation, where the vendor reports them."""
    def as_int(value) -> int | None:
        return value if isinstance(value, int) and value > 0 else None

    if kind == "gemini":
        return as_int(body.get("inputTokenLimit")), as_int(body.get("outputTokenLimit")), None
    if kind == "ollama":
        info = body.get("model_info") or {}
        context = next((v for k, v in info.items() if k.endswith(".context_length")), None)
        return as_int(context), None, None
    # OpenAI reports neither; some compatible servers (vLLM, LM Studio…) add a context length.
    context = body.get("context_window") or body.get("context_length") or body.get("max_model_len")
    deprecated = body.get("deprecated") if isinstance(body.get("deprecated"), bool) else None
    return as_int(context), as_int(body.get("max_tokens")), deprecated


def _failure(kind: str, model_id: str, response: httpx.Response) -> str:
    vendor, status = VENDORS[kind], response.status_code
    text = response.text[:2000].lower()
    if status in {401, 403} or (kind == "gemini" and status == 400 and "api key" in text):
        return f"HTTP {status}: {vendor} refused the API key (unauthorized); check the key and its permissions."
    if status == 404:
        return f"HTTP 404: model {model_id!r} was not found at {vendor}."
    if 300 <= status < 400:
        return (f"HTTP {status}: {vendor} redirected the request elsewhere; redirects are not followed, "
                "so set the base URL to the final address.")
    if status == 429:
        retry = response.headers.get("retry-after")
        later = f"; retry after {retry} s" if retry else ""
        return f"HTTP 429: {vendor} is rate limiting requests{later}."
    if status >= 500:
        return f"HTTP {status}: {vendor} had a server error; try again later."
    return f"HTTP {status}: {vendor} answered with an unexpected status."


def probe_model(*, kind: str, base_url: str, api_key: str | None, model_id: str,
                timeout: float = 10.0, allow_private: bool | None = None) -> ProbeOutcome:
    """Ask the provider about one model; never raises for network or HTTP failures.

    `allow_private` None: private addresses only for local providers (Ollama) or when
    AURA_ALLOW_PRIVATE_PROVIDER_URLS is on (see aura_site.outbound).
    """
    if allow_private is None:
        allow_private = private_urls_allowed(local_provider=kind == "ollama")
    method, url, headers, body = _request(kind, base_url, api_key, model_id)
    vendor = VENDORS[kind]

    def failed(message: str, latency: int | None = None) -> ProbeOutcome:
        if api_key:
            message = message.replace(api_key, "[redacted]")
        return ProbeOutcome(False, model_id, None, None, None, latency, message)

    try:
        outbound_check(url, allow_private=allow_private)
    except OutboundRefused as refused:
        return failed(f"Refused to call {vendor}: {refused}.")
    started = time.perf_counter()
    try:
        with outbound_client(allow_private=allow_private, timeout=timeout) as client:
            response = client.request(method, url, headers=headers, json=body)
    except OutboundRefused as refused:  # the name resolved elsewhere at connect time
        return failed(f"Refused to call {vendor}: {refused}.")
    except httpx.TimeoutException:
        return failed(f"{vendor} did not answer within {timeout:g} s (timeout).")
    except httpx.ConnectError:
        return failed(f"Could not connect to {vendor} at {httpx.URL(url).host}:{httpx.URL(url).port or ''} "
                      "(connection refused or unreachable).")
    except httpx.HTTPError as error:
        return failed(f"The request to {vendor} failed: {type(error).__name__}.")
    latency = round((time.perf_counter() - started) * 1000)
    if response.status_code != 200:
        return failed(_failure(kind, model_id, response), latency)
    try:
        payload = response.json()
    except ValueError:
        return failed(f"{vendor} answered with malformed JSON.", latency)
    if not isinstance(payload, dict):
        return failed(f"{vendor} answered with an unexpected JSON document.", latency)
    context, max_tokens, deprecated = _capabilities(kind, payload)
    return ProbeOutcome(True, model_id, context, max_tokens, deprecated, latency, None)
