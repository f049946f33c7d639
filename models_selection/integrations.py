"""Where a run meets the other apps: the active filtering policy (preferences) and cost holds (costs).

Each seam looks the other app's service up when called, so this app works on its own and starts using
the other app's rule as soon as that service exists; neither rule is re-implemented here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def _service(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as error:
        if error.name != module and not module.startswith(f"{error.name}."):
            raise  # the module exists but something it imports is missing: a real bug
        return None


def brief_policy_check(*, text: str) -> Any | None:
    """The active filtering policy's verdict on the text (`.allowed`, `.violations`), or None if none."""
    check = _service("preferences.services", "active_policy_check")
    return None if check is None else check(text=text)


def describe_violation(violation: Any) -> str:
    """One violation in words, whatever shape the policy check gives it."""
    if isinstance(violation, str):
        return violation
    if isinstance(violation, dict):
        parts = [str(violation[k]) for k in ("rule", "term", "matchedTerm", "message") if violation.get(k)]
        return ": ".join(parts) or str(violation)
    parts = [
        str(getattr(violation, k))
        for k in ("rule", "term", "matched_term", "message")
        if getattr(violation, k, None)
    ]
    return ": ".join(parts) or str(violation)


def cost_hold_place(*, job, resolutions) -> Any | None:
    """Place the cost hold for a planned run through the costs app (it may refuse with 402)."""
    hold = _service("costs.services", "hold_place")
    if hold is None:
        return None
    return hold(
        job_id=job.id,
        project_id=job.project_id or None,
        models={r.stage: (r.provider, r.model_id) for r in resolutions},
    )
