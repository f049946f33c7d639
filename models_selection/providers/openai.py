"""OpenAI's own API."""

from __future__ import annotations

from .openai_sdk import OpenAISDKProvider
from .registry import register


@register
class OpenAI(OpenAISDKProvider):
    kind = "openai"
    label = "OpenAI"
    default_base_url = "https://api.openai.com/v1"
    # OpenAI's own API replaced max_tokens with max_completion_tokens (its newer models refuse the old name).
    max_tokens_parameter = "max_completion_tokens"
