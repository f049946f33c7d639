"""Ollama on our own machines: probed with `show`, called on its OpenAI-compatible `/v1` endpoint."""

from __future__ import annotations

from typing import Any

from .base import ProbeRequest
from .openai_sdk import OpenAISDKProvider, positive_int
from .registry import register


@register
class Ollama(OpenAISDKProvider):
    kind = "ollama"
    label = "Ollama"
    default_base_url = "http://127.0.0.1:11434"
    is_local = True
    needs_key = False
    placeholder_key = "ollama"  # Ollama needs no key, the SDK needs a value

    def sdk_base_url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/v1"

    def probe_request(self, base: str, api_key: str | None, model_id: str,
                      headers: dict[str, str]) -> ProbeRequest:
        return ProbeRequest("POST", f"{base}/api/show", headers, {"model": model_id})

    def probe_capabilities(self, body: dict[str, Any]) -> tuple[int | None, int | None, bool | None]:
        info = body.get("model_info") or {}
        context = next((v for k, v in info.items() if k.endswith(".context_length")), None)
        return positive_int(context), None, None

