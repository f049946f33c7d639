"""A server speaking OpenAI's API (vLLM, LM Studio, Together…): the kind of providers added at run time."""

from __future__ import annotations

from .openai_sdk import OpenAISDKProvider
from .registry import register


@register
class OpenAICompatible(OpenAISDKProvider):
    kind = "openai_compatible"
    label = "OpenAI-compatible"
    vendor = "the OpenAI-compatible server"
    default_base_url = ""  # each one is added with its own base URL
