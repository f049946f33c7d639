"""A run's calls to the AI providers: the provider kind's `chat()` from the registry.

Each kind (models_selection.providers) calls its vendor through the maintained SDK, with timeouts and
retries on 429/5xx, on the checked transport of `aura_site.outbound`; see providers/base.py.
"""

from __future__ import annotations

from typing import Any

from ..providers import get as provider_kind
from ..providers.base import Completion, ProviderCallError

__all__ = ["Completion", "ProviderCallError", "chat"]


def chat(*, kind: str, base_url: str, api_key: str | None, model_id: str, messages: list[dict[str, str]],
         sampling: dict[str, Any], timeout: float, max_retries: int) -> Completion:
    """One completion from exactly `model_id` at the provider; raises ProviderCallError."""
    return provider_kind(kind).chat(base_url=base_url, api_key=api_key, model_id=model_id, messages=messages,
                                    sampling=sampling, timeout=timeout, max_retries=max_retries)
