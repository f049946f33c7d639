"""Anthropic: probed with its model lookup, called with the `anthropic` SDK (Messages API)."""

from __future__ import annotations

from typing import Any

from .base import (
    BaseProvider,
    ProbeRequest,
    Usage,
    answer_text,
    path_segment,
    raw_usage,
    sdk_answer,
    token_count,
    unreadable,
)
from .registry import register

ANTHROPIC_VERSION_HEADER = "2023-06-01"


@register
class Anthropic(BaseProvider):
    kind = "anthropic"
    label = "Anthropic"
    default_base_url = "https://api.anthropic.com"

    def probe_request(self, base: str, api_key: str | None, model_id: str,
                      headers: dict[str, str]) -> ProbeRequest:
        headers["anthropic-version"] = ANTHROPIC_VERSION_HEADER
        if api_key:
            headers["x-api-key"] = api_key
        return ProbeRequest("GET", f"{base}/v1/models/{path_segment(model_id)}", headers)

    def complete(self, http: Any, *, base_url: str, api_key: str | None, model_id: str,
                 messages: list[dict[str, str]], sampling: dict[str, Any], timeout: float,
                 max_retries: int) -> tuple[str, Usage, dict[str, Any]]:
        import anthropic
        from anthropic.types import Message

        client = anthropic.Anthropic(api_key=api_key or "missing", base_url=base_url.rstrip("/"), timeout=timeout,
                                     max_retries=max_retries, http_client=http)
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        # The Messages API of the current SDK takes no sampling parameters besides max_tokens (no temperature,
        # top_p or penalties): they are recorded as not sent rather than forced through.
        sent = {"model": model_id, "system": system, "messages": [m for m in messages if m["role"] != "system"],
                "max_tokens": sampling["max_tokens"]}
        response = sdk_answer(client.messages.with_raw_response.create(**sent), Message)
        sent = {**sent, "not_sent": {k: v for k, v in sampling.items() if k != "max_tokens"}}
        if not isinstance(response.content, list):
            raise unreadable("it has no content blocks")
        text = "".join(answer_text(getattr(block, "text", None)) for block in response.content
                       if getattr(block, "type", "") == "text")
        usage = response.usage
        cached = token_count(usage, "cache_read_input_tokens") or 0
        created = token_count(usage, "cache_creation_input_tokens") or 0
        uncached = token_count(usage, "input_tokens")
        # Anthropic counts cached and cache-written tokens apart from input_tokens: the total input is the sum.
        total_input = None if uncached is None else uncached + cached + created
        return text, Usage(total_input, token_count(usage, "output_tokens"), cached, raw_usage(usage)), sent
