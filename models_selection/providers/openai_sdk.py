"""Kinds called through the `openai` SDK: OpenAI, OpenAI-compatible servers, Ollama and Gemini.

Ollama (its OpenAI-compatible `/v1` endpoint) and Gemini (its OpenAI-compatible `…/v1beta/openai/`
endpoint) go through `openai` too: one SDK then covers four kinds with the same retry, timeout and usage
semantics, and those endpoints report usage (prompt, completion and cached tokens) in the same shape;
google-genai would add a second client with its own retry and error model for no gain in what a run needs.
"""

from __future__ import annotations

from typing import Any, ClassVar

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


class OpenAISDKProvider(BaseProvider):
    """Probed with GET {base}/models/{id} (the base URL includes the version, …/v1), called with `openai`."""

    # The key the SDK is given when the provider needs none (the SDK needs a value).
    placeholder_key: ClassVar[str] = ""
    # The request's name for the output limit: compatible servers, Ollama and Gemini take max_tokens.
    max_tokens_parameter: ClassVar[str] = "max_tokens"

    def sdk_base_url(self, base_url: str) -> str:
        """The SDK's base URL for the provider's base URL."""
        return base_url.rstrip("/")

    def probe_request(self, base: str, api_key: str | None, model_id: str,
                      headers: dict[str, str]) -> ProbeRequest:
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return ProbeRequest("GET", f"{base}/models/{path_segment(model_id)}", headers)

    def probe_capabilities(self, body: dict[str, Any]) -> tuple[int | None, int | None, bool | None]:
        # OpenAI reports neither; some compatible servers (vLLM, LM Studio…) add a context length.
        context = body.get("context_window") or body.get("context_length") or body.get("max_model_len")
        deprecated = body.get("deprecated") if isinstance(body.get("deprecated"), bool) else None
        return positive_int(context), positive_int(body.get("max_tokens")), deprecated

    def complete(self, http: Any, *, base_url: str, api_key: str | None, model_id: str,
                 messages: list[dict[str, str]], sampling: dict[str, Any], timeout: float,
                 max_retries: int) -> tuple[str, Usage, dict[str, Any]]:
        import openai
        from openai.types.chat import ChatCompletion

        key = api_key or self.placeholder_key
        client = openai.OpenAI(api_key=key or "missing", base_url=self.sdk_base_url(base_url), timeout=timeout,
                               max_retries=max_retries, http_client=http)
        sent = {"model": model_id, "messages": messages, **sampling}
        if self.max_tokens_parameter != "max_tokens":
            sent[self.max_tokens_parameter] = sent.pop("max_tokens")
        response = sdk_answer(client.chat.completions.with_raw_response.create(**sent), ChatCompletion)
        choices = response.choices
        if not isinstance(choices, list) or not choices:
            raise unreadable("it has no choices")
        text = answer_text(getattr(getattr(choices[0], "message", None), "content", None))
        usage = response.usage
        details = getattr(usage, "prompt_tokens_details", None)
        cached = token_count(details, "cached_tokens") or 0
        return text, Usage(token_count(usage, "prompt_tokens"), token_count(usage, "completion_tokens"), cached,
                           raw_usage(usage)), sent


def positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None
