"""Where a run meets the other apps: the active filtering policy (preferences) and cost holds (costs)."""

from __future__ import annotations

from typing import Any

from costs import services as cost_services
from costs.display import format_money
from preferences import services as preference_services


def brief_policy_check(*, text: str) -> Any | None:
    """The active filtering policy's verdict on the text (`.allowed`, `.violations`), or None if none."""
    return preference_services.active_policy_check(text=text)


def unit_price_text(amount: Any, currency: str) -> str:
    """A per-1K price in the one money format of the costs app ('$0.0025')."""
    return format_money(amount, currency, unit=True)


def describe_violation(violation: Any) -> str:
    """One violation in words: its rule and the term that matched."""
    return f"{violation.rule}: {violation.term}"


def cost_hold_place(*, job, resolutions) -> Any | None:
    """Hold the planned run's worst-case cost (the costs app may refuse with 402 under a hard limit)."""
    return cost_services.hold_for_run(
        job_id=str(job.id),
        project_id=job.project_id or "",
        brief=job.brief,
        stage_models={r.stage: (r.provider, r.model_id) for r in resolutions},
    )


def cost_hold_release(*, job) -> None:
    """Give back what is left of a cancelled run's hold."""
    cost_services.hold_release_if_any(job_id=str(job.id))
