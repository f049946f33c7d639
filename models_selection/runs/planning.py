"""What a run freezes when it is planned: its effective preferences and the prices of its models."""

from __future__ import annotations

from typing import Any

from aura_site.errors import FieldError, ValidationFailed

from .. import integrations
from .effective import RUN_CHOICE, PreferenceChoices, effective_preferences_resolve


def price_key(provider: str, model_id: str) -> str:
    return f"{provider}:{model_id}"


def prices_freeze(*, job, resolutions) -> None:
    """Add the price of every resolved model not yet in the run's snapshot (a frozen price never changes)."""
    snapshot = dict(job.price_snapshot or {})
    for r in resolutions:
        provider, model_id = (r["provider"], r["model_id"]) if isinstance(r, dict) else (r.provider, r.model_id)
        if provider and model_id and price_key(provider, model_id) not in snapshot:
            snapshot[price_key(provider, model_id)] = integrations.price_snapshot(provider=provider, model_id=model_id)
    job.price_snapshot = snapshot


def run_freeze(*, job, resolutions, choices: PreferenceChoices | None) -> dict[str, Any]:
    """Resolve and freeze the run's effective preferences; a brief breaking a chosen policy is a 422."""
    document = effective_preferences_resolve(choices)
    policy = document["filteringPolicy"]
    if policy["source"] == RUN_CHOICE:
        # The active policy was checked already; a policy chosen for this run must pass the brief too.
        verdict = integrations.policy_check_values(values=policy["values"], text=job.brief)
        if not verdict.allowed:
            found = [integrations.describe_violation(v) for v in verdict.violations]
            raise ValidationFailed(
                "The brief breaks the run's content-filtering policy: " + "; ".join(found),
                errors=[FieldError("brief", v) for v in found],
            )
    job.effective_preferences = document
    prices_freeze(job=job, resolutions=resolutions)
    return document
