"""Budgets: the scopes a period's money counts in, and the one rule that allows, warns or blocks.

A `Budget` is built once per transaction for a period window (`budget_for(config, window)`). It lists
the scopes an amount counts in, one per `ScopeKind` (overall, each provider, the project when projects
are tracked), each with its configured budget, and `check` judges one scope's running total plus an
amount: allow, warn (an alert threshold reached, or past the budget under a soft limit) or block (past
the budget under a hard limit; never for spend already made against a reservation). The ledger write's
SQL limit and replay, the pre-flight decision, holds, the current period and the forecast all ask it,
and the 402 of a refusal is written here. A new scope is one `ScopeKind` and one configuration field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.functions import Collate
from django.utils import timezone

from aura_site.errors import PaymentRequired, ValidationFailed
from aura_site.schemas import MONEY_COLUMN_MAX

from .configuration import configuration_get
from .display import format_money
from .models import ZERO, BudgetTotal, CostConfiguration
from .money import dec, money
from .periods import period_window

ALLOW, WARN, BLOCK = "allow", "warn", "block"
SEVERITY = {ALLOW: 0, WARN: 1, BLOCK: 2}
Window = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class ScopeKind:
    """One kind of running total: the keys an amount counts under, and the budget configured for a key."""

    name: str  # BudgetTotal.scope
    keys: Callable[[CostConfiguration, list[str], str], list[str]]  # (config, providers, project) → keys
    budget: Callable[[Budget, str], Decimal | None]
    configured: Callable[[CostConfiguration], list[str]]  # the keys with a budget, shown even before spending
    by_provider: bool = False  # counts each provider's part of an amount, not the whole of it


SCOPE_KINDS = (
    ScopeKind(BudgetTotal.OVERALL, keys=lambda config, providers, project: [""],
              budget=lambda budget, key: budget.config.overall_monthly_budget,
              configured=lambda config: [""]),
    ScopeKind(BudgetTotal.PROVIDER, keys=lambda config, providers, project: list(providers),
              budget=lambda budget, key: budget.provider_budget(key),
              configured=lambda config: list(config.provider_budgets or {}), by_provider=True),
    ScopeKind(BudgetTotal.PROJECT,
              keys=lambda config, providers, project: [project] if config.enable_project_tracking and project else [],
              budget=lambda budget, key: None, configured=lambda config: []),
)
KINDS = {kind.name: kind for kind in SCOPE_KINDS}


@dataclass(frozen=True)
class Scope:
    scope: str
    key: str
    budget: Decimal | None

    @property
    def label(self) -> str:
        return "overall budget" if self.scope == BudgetTotal.OVERALL else f"{self.scope} {self.key!r} budget"

    @property
    def by_provider(self) -> bool:
        return KINDS[self.scope].by_provider

    def share(self, amount: Decimal, by_provider: dict[str, Decimal]) -> Decimal:
        """What of an amount (split `by_provider`) counts in this scope."""
        return by_provider.get(self.key, ZERO) if self.by_provider else amount


@dataclass(frozen=True)
class Verdict:
    """The rule's answer for one scope, with the numbers it judged (`held`: after the amount's own draw)."""

    decision: str  # allow | warn | block
    scope: Scope
    spent: Decimal
    held: Decimal
    amount: Decimal
    over: bool = False  # past the budget
    reached: int | None = None  # within the budget: the highest alert threshold reached

    def refusal(self, currency: str, *, job_id: str | None = None, idempotency_key: str | None = None
                ) -> PaymentRequired:
        """The 402 of a blocked amount: a hold for `job_id`, or the operation with `idempotency_key`."""
        scope, budget = self.scope, self.scope.budget

        def show(value: Decimal, unit: bool = False) -> str:
            return format_money(value, currency, unit=unit)

        numbers: dict[str, Any] = {"spent": float(self.spent), "held": float(self.held), "budget": float(budget),
                                   "operationCost": float(self.amount), "scope": scope.scope, "key": scope.key}
        if job_id is not None:
            return PaymentRequired(
                f"Hard budget limit: holding {show(self.amount, True)} for job {job_id} does not fit the "
                f"{scope.label} ({show(self.spent)} spent, {show(self.held)} held of {show(budget)}).",
                extra=numbers)
        return PaymentRequired(
            f"Hard budget limit: this operation ({show(self.amount, True)}) would take the {scope.label} past "
            f"{show(budget)} ({show(self.spent)} spent, {show(self.held)} held).",
            extra=numbers | {"idempotencyKey": idempotency_key})


def total_refusal(key: tuple[dt.datetime, str, str]) -> PaymentRequired:
    """The 402 of a running total the database refused where the replay of the rule did not."""
    return PaymentRequired("Hard budget limit: a running total would pass its budget.",
                           extra={"scope": key[1], "key": key[2]})


@dataclass
class Budget:
    """The budgets in force for one period window (None: no period is in force)."""

    config: CostConfiguration
    window: Window | None
    provider_budgets: dict[str, Decimal | None] = field(init=False)

    def __post_init__(self) -> None:
        self.provider_budgets = {k.lower(): dec(v) for k, v in (self.config.provider_budgets or {}).items()}

    @property
    def period_start(self) -> dt.datetime | None:
        return self.window[0] if self.window else None

    @property
    def currency(self) -> str:
        return self.config.currency

    def provider_budget(self, provider: str) -> Decimal | None:
        """A provider's budget (provider names compare case-insensitively), None when it has none."""
        return self.provider_budgets.get(provider.lower())

    def scopes(self, *, providers: Iterable[str] = (), project_id: str = "") -> list[Scope]:
        """Every scope an amount of these providers (and project) counts in, overall first."""
        providers = list(providers)
        return [Scope(kind.name, key, kind.budget(self, key))
                for kind in SCOPE_KINDS for key in kind.keys(self.config, providers, project_id)]

    def report_scopes(self, keys: Iterable[tuple[str, str]]) -> list[Scope]:
        """The scopes a period shows, kind by kind: each with a total (`keys`: its (scope, key) pairs) or a budget.

        A configured key is left out when a total has it in another case; keys are sorted within a kind.
        """
        keys = set(keys)
        found = []
        for kind in SCOPE_KINDS:
            seen = {k for s, k in keys if s == kind.name}
            seen |= {k for k in kind.configured(self.config) if not any(s.lower() == k.lower() for s in seen)}
            found += [Scope(kind.name, key, kind.budget(self, key)) for key in sorted(seen)]
        return found

    def enforced(self, *, reserved: bool) -> bool:
        """Whether a budget refuses: under a hard limit, except spend already made against a reservation."""
        return self.config.hard_budget_limit and not reserved

    def limit(self, scope: Scope, *, reserved: bool) -> Decimal | None:
        """The most a scope's spent + held may reach after an amount (None: nothing refuses it)."""
        return scope.budget if self.enforced(reserved=reserved) else None

    def check(self, scope: Scope, *, spent: Decimal, held: Decimal, amount: Decimal, reserved: bool = False
              ) -> Verdict:
        """Allow, warn or block adding `amount` to a scope's total of `spent` and `held`."""
        budget = scope.budget
        if budget is None:
            return Verdict(ALLOW, scope, spent, held, amount)
        after = spent + held + amount
        if after > budget:
            return Verdict(BLOCK if self.enforced(reserved=reserved) else WARN, scope, spent, held, amount, over=True)
        crossed = [t for t in sorted(self.config.alert_thresholds or [100]) if after >= budget * Decimal(t) / 100]
        return Verdict(WARN if crossed else ALLOW, scope, spent, held, amount, reached=crossed[-1] if crossed else None)


def budget_for(config: CostConfiguration, window: Window | None) -> Budget:
    return Budget(config, window)


def budget_at(at: dt.datetime | None = None) -> Budget:
    """The budget of the period in force at `at` (now when not given)."""
    config = configuration_get()
    return budget_for(config, period_window(config, at or timezone.now()))


# What a money column (max_digits=14, decimal_places=6) holds; a running total must stay within it.
TOTAL_CAPACITY = MONEY_COLUMN_MAX


def total_capacity_check(total: BudgetTotal, amount: Decimal, *, field: str) -> None:
    """Refuse (422) an amount that would take a period's running total past what its column holds."""
    if total.spent + total.held + amount > TOTAL_CAPACITY:
        raise ValidationFailed.on(
            field, f"{money(amount)} would take the period's {total.scope} total past {TOTAL_CAPACITY}, the most "
                   f"it can hold ({money(total.spent)} spent, {money(total.held)} held)")


def lock_totals(keys: set[tuple[dt.datetime, str, str]]) -> dict[tuple, BudgetTotal]:
    """Create missing running totals and lock them all, in a fixed order (no deadlocks)."""
    if not keys:
        return {}
    BudgetTotal.objects.bulk_create(
        [BudgetTotal(period_start=p, scope=s, key=k) for p, s, k in keys], ignore_conflicts=True
    )
    condition = Q()
    for p, s, k in keys:
        condition |= Q(period_start=p, scope=s, key=k)
    # The same order as the ledger write's upsert (Python's, i.e. code-point order: PostgreSQL's "C").
    order = ["period_start", "scope", "key"]
    if connection.vendor == "postgresql":
        order = ["period_start", Collate("scope", "C"), Collate("key", "C")]
    rows = BudgetTotal.objects.select_for_update().filter(condition).order_by(*order)
    return {(t.period_start, t.scope, t.key): t for t in rows}


def budget_decision(*, amount: Decimal, by_provider: dict[str, Decimal], at: dt.datetime | None = None
                    ) -> dict[str, Any]:
    """Whether spending `amount` now is allowed, warned about or blocked; reads only."""
    budget = budget_at(at)
    if budget.window is None:
        return {"decision": ALLOW, "reasons": ["No budget period is in force."]}
    totals = {(t.scope, t.key): t for t in BudgetTotal.objects.filter(period_start=budget.period_start)}
    decision, reasons = ALLOW, []
    for scope in budget.scopes(providers=by_provider):
        total = totals.get((scope.scope, scope.key))
        part = scope.share(amount, by_provider)
        verdict = budget.check(scope, spent=total.spent if total else ZERO, held=total.held if total else ZERO,
                               amount=part)
        decision = max(decision, verdict.decision, key=SEVERITY.__getitem__)
        cur = budget.currency
        if verdict.over:
            reasons.append(f"The {scope.label} ({format_money(scope.budget, cur)}) would be exceeded: "
                           f"{format_money(verdict.spent + verdict.held, cur)} spent or held + "
                           f"{format_money(part, cur, unit=True)}.")
        elif verdict.reached is not None:
            reasons.append(f"This would reach {verdict.reached}% of the {scope.label}.")
    return {"decision": decision, "reasons": reasons or ["Within budget."]}
