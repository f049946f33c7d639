"""Google's Gemini API: probed with its model lookup, called on its OpenAI-compatible endpoint."""

from __future__ import annotations

from typing import Any

from .base import ProbeRequest, path_segment
from .openai_sdk import OpenAISDKProvider, positive_int
from .registry import register


@register
class Gemini(OpenAISDKProvider):
    kind = "gemini"
    label = "Gemini"
    default_base_url = "https://generativelanguage.googleapis.com"

    def sdk_base_url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}/v1beta/openai/"

    def probe_request(self, base: str, api_key: str | None, model_id: str,
                      headers: dict[str, str]) -> ProbeRequest:
        if api_key:
            headers["x-goog-api-key"] = api_key
        return ProbeRequest("GET", f"{base}/v1beta/models/{path_segment(model_id)}", headers)

    def probe_capabilities(self, body: dict[str, Any]) -> tuple[int | None, int | None, bool | None]:
        return positive_int(body.get("inputTokenLimit")), positive_int(body.get("outputTokenLimit")), None

    def refuses_key(self, status: int, text: str) -> bool:
        # Gemini answers a bad key with 400 INVALID_ARGUMENT.
        return super().refuses_key(status, text) or (status == 400 and "api key" in text)
