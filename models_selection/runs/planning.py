"""Planning a run: check the brief, resolve every stage, freeze its effective preferences and prices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from aura_site.errors import FieldError, ValidationFailed
from models_selection.resolver import Resolution, RunOverride
from models_selection.resolving import stages_resolve

from . import integrations
from .document import run_preferences
from .effective import RUN_CHOICE, PreferenceChoices, effective_preferences_resolve
from .models import Job, JobStatus

MAX_BRIEF_LENGTH = 20_000


def user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


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
    policy = run_preferences(document).filtering_policy
    if policy.source == RUN_CHOICE:
        # The active policy was checked already; a policy chosen for this run must pass the brief too.
        verdict = integrations.policy_check_values(values=policy.values.model_dump(by_alias=True), text=job.brief)
        if not verdict.allowed:
            found = [integrations.describe_violation(v) for v in verdict.violations]
            raise ValidationFailed(
                "The brief breaks the run's content-filtering policy: " + "; ".join(found),
                errors=[FieldError("brief", v) for v in found],
            )
    job.effective_preferences = document
    prices_freeze(job=job, resolutions=resolutions)
    return document


@dataclass
class JobPlan:
    job: Job
    resolutions: list[Resolution]

    @property
    def blocked(self) -> bool:
        return any(r.is_blocked for r in self.resolutions)


def _check_brief(brief: str) -> None:
    if not brief.strip():
        raise ValidationFailed.on("brief", "must not be empty")
    if len(brief) > MAX_BRIEF_LENGTH:
        raise ValidationFailed.on("brief", f"at most {MAX_BRIEF_LENGTH} characters")
    if "\x00" in brief:
        raise ValidationFailed.on("brief", "must not contain NUL characters")
    verdict = integrations.brief_policy_check(text=brief)
    if verdict is not None and not verdict.allowed:
        violations = [integrations.describe_violation(v) for v in verdict.violations] or ["not allowed"]
        raise ValidationFailed(
            "The brief breaks the active content-filtering policy: " + "; ".join(violations),
            errors=[FieldError("brief", v) for v in violations],
        )


@transaction.atomic
def job_plan(
    *,
    brief: str,
    model_overrides: dict[str, RunOverride] | None,
    project_id: str | None,
    allow_auto_fallback: bool,
    user=None,
    correlation_id: str = "",
    preference_choices=None,
) -> JobPlan:
    """Check the brief, resolve every stage for a new run and save it as Planned or Blocked.

    The run's effective preferences and model prices are frozen on it.
    """
    _check_brief(brief)
    if project_id and ("\x00" in project_id or len(project_id) > 100):
        raise ValidationFailed.on("projectId", "at most 100 characters, without NUL characters")
    job = Job(
        brief=brief,
        project_id=project_id or "",
        allow_auto_fallback=allow_auto_fallback,
        created_by=user_or_none(user),
        correlation_id=correlation_id,
    )
    resolutions = stages_resolve(
        overrides=model_overrides or {},
        project_id=project_id,
        allow_auto_fallback=allow_auto_fallback,
        job_id=job.id,
        correlation_id=correlation_id,
    )
    plan = JobPlan(job, resolutions)
    job.model_overrides = {stage: o.as_dict() for stage, o in (model_overrides or {}).items()}
    job.status = JobStatus.BLOCKED if plan.blocked else JobStatus.PLANNED
    job.resolutions = [r.as_dict() for r in resolutions]
    run_freeze(job=job, resolutions=resolutions, choices=preference_choices)
    job.save(force_insert=True)
    if not plan.blocked:
        integrations.cost_hold_place(job=job)
    return plan
