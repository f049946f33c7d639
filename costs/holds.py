"""Holds: a run's worst-case cost reserved against the budgets, drawn down by its operations, released."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from aura_site.errors import Conflict, NotFound, ValidationFailed

from .budgets import BLOCK, budget_at, budget_for, lock_totals, total_capacity_check
from .configuration import configuration_get
from .estimates import estimate_items
from .models import ZERO, BudgetTotal, CostOperation, Hold
from .money import amount_check, money

# Worst case of one model stage of a run: the system prompt and brief in, a full completion out.
RUN_PROMPT_TOKENS = 1500
RUN_MAX_TOKENS = 4000


def _hold_amount(*, amount, plan, provider: str) -> tuple[Decimal, dict[str, Decimal]]:
    """The amount to hold and its split by provider, from a plan (priced here) or an amount."""
    if plan:
        estimate = estimate_items(plan)
        if estimate.unpriced:
            first = estimate.unpriced[0]
            raise ValidationFailed.on(f"plan[{first['index']}]", f"cannot be priced: {first['reason']}")
        return estimate.total, estimate.by_provider
    if amount is not None:
        total = money(amount)
        if total < 0:
            raise ValidationFailed.on("amount", "must be ≥ 0")
        return total, {provider: total} if provider else {}
    raise ValidationFailed.on("amount", "give an amount or a plan")


def hold_place(*, job_id: str, amount: Decimal | float | None = None, plan: list[dict[str, Any]] | None = None,
               project_id: str = "", provider: str = "", user=None) -> Hold:
    """Reserve a run's worst-case cost against the budgets (402 under a hard limit when it does not fit).

    One hold per job (a unique constraint on job_id): the hold row is claimed first, so of concurrent
    requests for one job exactly one gets it and the others a 409, before any budget total moves.
    """
    with transaction.atomic():
        total, by_provider = _hold_amount(amount=amount, plan=plan, provider=provider)
        amount_check(total, field="plan" if plan else "amount")
        budget = budget_at()
        if budget.window is None:
            raise ValidationFailed.on("periodType", "no budget period is in force now; a hold needs one")
        start = budget.period_start
        scopes = budget.scopes(providers=by_provider, project_id=project_id)
        hold = _hold_claim(job_id=job_id, period_start=start, amount=total, project_id=project_id,
                           provider_remaining={p: float(v) for p, v in by_provider.items()})
        totals = lock_totals({(start, s.scope, s.key) for s in scopes})
        for scope in scopes:
            row = totals[(start, scope.scope, scope.key)]
            verdict = budget.check(scope, spent=row.spent, held=row.held, amount=scope.share(total, by_provider))
            if verdict.decision == BLOCK:
                raise verdict.refusal(budget.currency, job_id=job_id)
        by_key = {(s.scope, s.key): s for s in scopes}
        for (_, scope_name, key), row in totals.items():
            part = by_key[(scope_name, key)].share(total, by_provider)
            total_capacity_check(row, part, field="amount")
            row.held += part
        BudgetTotal.objects.bulk_update(list(totals.values()), ["held"])
        return hold


def _hold_claim(*, job_id: str, period_start, amount: Decimal, project_id: str,
                provider_remaining: dict[str, float]) -> Hold:
    """Take the job's one hold row (inside the caller's transaction), or raise Conflict if it is active.

    A released hold of the same job is reused. The row lock (or the unique index, for a new row) makes
    concurrent claims for one job wait for each other; the loser sees the winner's active hold.
    """
    fields = {"period_start": period_start, "amount": amount, "remaining": amount, "project_id": project_id,
              "provider_remaining": provider_remaining, "created_at": timezone.now(), "released_at": None}
    existing = Hold.objects.select_for_update().filter(job_id=job_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                return Hold.objects.create(job_id=job_id, **fields)
        except IntegrityError:
            existing = None
    if existing is None or existing.released_at is None:
        raise Conflict(f"Job {job_id} already has a hold; release it first.")
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.save()
    return existing


def hold_release(*, job_id: str) -> Hold:
    """Return what is left of a job's hold to the budgets."""
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(job_id=job_id).first()
        if hold is None:
            raise NotFound(f"No hold for job {job_id}.")
        if hold.released_at is not None:
            return hold
        budget = budget_for(configuration_get(), None)  # the scopes only: the hold names its period
        scopes = budget.scopes(providers=hold.provider_remaining, project_id=hold.project_id)
        by_key = {(s.scope, s.key): s for s in scopes}
        by_provider = {p: Decimal(str(v)) for p, v in hold.provider_remaining.items()}
        totals = lock_totals({(hold.period_start, s.scope, s.key) for s in scopes})
        for (_, scope_name, key), row in totals.items():
            row.held -= by_key[(scope_name, key)].share(hold.remaining, by_provider)
            row.held = max(row.held, ZERO)
        BudgetTotal.objects.bulk_update(list(totals.values()), ["held"])
        hold.remaining = ZERO
        hold.provider_remaining = {p: 0.0 for p in hold.provider_remaining}
        hold.released_at = timezone.now()
        hold.save()
        return hold


def hold_for_run(*, job_id: str, stage_models: dict[str, tuple[str, str]], brief: str = "",
                 project_id: str = "") -> Hold | None:
    """Hold the worst-case cost of a planned run's model stages (402 under a hard limit if it won't fit).

    Stages whose model has no price are left out of the hold (they are reported by `estimate`).
    """
    with transaction.atomic():
        prompt_tokens = RUN_PROMPT_TOKENS + len(brief) // 4
        plan = [{"provider": provider, "model": model, "stage": stage, "input_tokens": prompt_tokens,
                 "max_tokens": RUN_MAX_TOKENS} for stage, (provider, model) in sorted(stage_models.items())]
        priced = [item for item, row in zip(plan, estimate_items(plan).items, strict=True) if row["priced"]]
        if not priced:
            return None
        return hold_place(job_id=job_id, plan=priced, project_id=project_id)


def hold_release_if_any(*, job_id: str) -> None:
    """Release a job's hold if it has one (a cancelled or finished run)."""
    if Hold.objects.filter(job_id=job_id, released_at__isnull=True).exists():
        hold_release(job_id=job_id)


# ---- holds of executing runs ----------------------------------------------------------------------


@transaction.atomic
def hold_extend(*, job_id: str, amount: Decimal | float, provider: str, project_id: str = "") -> Hold:
    """Grow a run's hold by `amount` (402 under a hard limit when the budgets cannot take it).

    The open hold is released and placed again with its remainder plus `amount`, in one transaction
    holding the running-total locks, so concurrent runs never reserve past a hard limit.
    """
    extra = money(amount)
    if extra < 0:
        raise ValidationFailed.on("amount", "must be ≥ 0")
    hold = Hold.objects.select_for_update().filter(job_id=job_id, released_at__isnull=True).first()
    remaining = ZERO
    if hold is not None:
        remaining = hold.remaining
        project_id = project_id or hold.project_id
        hold_release(job_id=job_id)
    return hold_place(job_id=job_id, amount=remaining + extra, provider=provider, project_id=project_id)


@dataclass
class HoldSettlement:
    used: Decimal
    released: Decimal


@transaction.atomic
def hold_settle(*, job_id: str) -> HoldSettlement:
    """Settle a finished run: what its operations cost, and the rest of its hold released."""
    hold = Hold.objects.select_for_update().filter(job_id=job_id, released_at__isnull=True).first()
    used = CostOperation.objects.filter(job_id=job_id).aggregate(total=Sum("cost"))["total"] or ZERO
    released = ZERO
    if hold is not None:
        released = hold.remaining
        hold_release(job_id=job_id)
    return HoldSettlement(money(used), money(released))
