"""Provider kinds (OpenAI, Anthropic, Gemini, Ollama, OpenAI-compatible servers…), one module each.

Each module defines one `BaseProvider` subclass and registers it: its kind, label, default base URL,
whether it is local (private addresses allowed) and needs a key, how it is probed and how a run calls
it. Every call goes through the checked transport of `aura_site.outbound`.
"""

from .registry import get, kind_choices, kind_names, register, registered, unregister

# The built-in kinds, registered in this order (the order of the choices).
from . import openai, anthropic, gemini, ollama, openai_compatible  # noqa: E402,F401,I001  isort:skip

__all__ = ["get", "kind_choices", "kind_names", "register", "registered", "unregister"]
