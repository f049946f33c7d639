"""Where a run meets the other apps: preferences (policies, kinds, templates) and costs (prices, holds, ledger)."""

from __future__ import annotations

from typing import Any

from pydantic.alias_generators import to_camel

from costs import holds, ledger, pricing
from costs.models import Hold
from preferences import checks as preference_checks
from preferences.kinds import KINDS_BY_KEY
from preferences.selectors import active_items


def brief_policy_check(*, text: str) -> Any | None:
    """The active filtering policy's verdict on the text (`.allowed`, `.violations`), or None if none."""
    return preference_checks.active_policy_check(text=text)


def describe_violation(violation: Any) -> str:
    """One violation in words: its rule and the term that matched."""
    return f"{violation.rule}: {violation.term}"


def cost_hold_place(*, job) -> Any | None:
    """Hold the planned run's worst-case cost (the costs app may refuse with 402 under a hard limit)."""
    return holds.hold_for_run(
        job_id=str(job.id),
        project_id=job.project_id or "",
        brief=job.brief,
        stage_models={r["stage"]: (r["provider"], r["model_id"]) for r in job.resolutions},
    )


def cost_hold_release(*, job) -> None:
    """Give back what is left of a run's hold (cancelled, or its start could not reach the workers)."""
    holds.hold_release_if_any(job_id=str(job.id))


# --- What runs need from preferences -------------------------------------------------------------


def preference_kind(key: str):
    """The preferences registry entry of a kind ("audienceProfiles", "aiBehaviorSettings", …)."""
    return KINDS_BY_KEY[key]


def preference_item(*, key: str, item_id: Any):
    """One item of a kind, or None."""
    return preference_kind(key).model.objects.filter(pk=item_id).first()


def preference_active_items() -> dict[str, Any]:
    """The active item of every kind (None where nothing is selected)."""
    return active_items()


def preference_values(*, key: str, item: Any | None) -> dict[str, Any]:
    """The item's settings, camelCase and JSON-ready; None: the kind's system defaults."""
    kind = preference_kind(key)
    item = item if item is not None else kind.model()
    values = {}
    for f in kind.input_fields:
        if f.name in {"name", "description", "tags", "is_favorite", "is_default"}:
            continue
        value = getattr(item, f.name)
        values[to_camel(f.name)] = list(value) if isinstance(value, list | tuple) else value
    return values


def preference_instance(*, key: str, values: dict[str, Any]):
    """An unsaved item built from frozen values, so a run applies what it froze, not today's edits."""
    kind = preference_kind(key)
    by_camel = kind.field_by_camel
    return kind.model(**{by_camel[k].name: v for k, v in values.items() if k in by_camel})


def policy_check_values(*, values: dict[str, Any], text: str):
    """The filtering policy check (as /filtering-policies/{id}/check) of frozen policy values."""
    policy = preference_instance(key="filteringPolicies", values=values)
    return preference_checks.policy_check(policy=policy, text=text)


def template_fill(*, template_text: str, variables: dict[str, Any]) -> str:
    """A prompt template's {{variables}} filled (the same rule as the template preview)."""
    template = preference_kind("promptTemplates").model(template_text=template_text)
    return preference_checks.template_render(template=template, variables=variables)


def template_outcome(*, template_id: Any, success: bool) -> None:
    """Count one A/B trial of a stored template."""
    preference_checks.template_record_outcome(template_id=template_id, success=success)


# --- What runs need from costs ------------------------------------------------------------------------


def price_snapshot(*, provider: str, model_id: str) -> dict[str, Any] | None:
    """The price a run will pay for a model (frozen on the run), or None when nothing prices it."""
    table = pricing.price_table({provider})
    return pricing.charge(pricing.price_for(table, provider, model_id)).snapshot


def cost_hold(*, job_id: str):
    """The run's open hold, or None."""
    return Hold.objects.filter(job_id=job_id, released_at__isnull=True).first()


def cost_hold_extend(*, job_id: str, amount, provider: str, project_id: str = ""):
    """Grow a run's hold so a call's worst case fits (402 under a hard limit when it does not)."""
    return holds.hold_extend(job_id=job_id, amount=amount, provider=provider, project_id=project_id)


def cost_hold_settle(*, job_id: str):
    """Settle a finished run's hold: what it used, and the rest released."""
    return holds.hold_settle(job_id=job_id)


def cost_operation_record(*, operation: dict[str, Any]):
    """One call into the ledger (its idempotency key makes a retried task count it once)."""
    return ledger.operations_record(operations=[operation])
