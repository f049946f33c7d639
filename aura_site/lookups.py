"""Answers one app gives another without either importing the other.

The app that knows registers a function under a name (`provide`, in its AppConfig.ready); the app that
asks calls it by that name (`ask`). The names in use:

- "job_creators"(job_ids=set[str]) -> {job id: user id}: who created each run.
- "pinned_stage_models"() -> {stage: (provider, model id)}: the pinned stage models.
- "outdated_models"() -> {(provider, model id), …} in lower case: models deprecated or retired.
- "secret_encrypt"(plain) -> token and "secret_decrypt"(token) -> plain or None: secrets at rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_answers: dict[str, Callable[..., Any]] = {}


def provide(name: str, answer: Callable[..., Any]) -> None:
    _answers[name] = answer


def ask(name: str, *args: Any, **kwargs: Any) -> Any:
    try:
        answer = _answers[name]
    except KeyError:
        raise LookupError(f"No app provides {name!r} (is the app that answers it installed?)") from None
    return answer(*args, **kwargs)
