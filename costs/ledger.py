"""The ledger write: a batch of operations recorded all-or-nothing, each counted once, within the budgets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DataError, transaction
from django.utils import timezone

from aura_site.errors import FieldError, ValidationFailed

from .alerts import alert_candidates, overrun_alert, raise_alerts
from .attribution import attribute_operations
from .budgets import BLOCK, TOTAL_CAPACITY, Budget, Scope, Window, budget_for, total_capacity_check, total_refusal
from .configuration import configuration_get
from .display import format_money
from .ledger_keys import refuse_reused_keys
from .ledger_sql import TotalChange, TotalKey, rows_insert_new, totals_add
from .models import ZERO, Alert, BudgetTotal, CostConfiguration, CostOperation, Hold
from .money import amount_check, currency_check, money
from .periods import period_window
from .pricing import charge, price_for, price_table
from .rollups import rollups_add

MAX_BATCH = 1000
UNITS = ("input_tokens", "output_tokens", "characters", "images", "seconds")


@dataclass
class RecordResult:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    total_cost: Decimal = ZERO


@dataclass
class Priced:
    """One operation of the batch with what it costs (`source`: reported, or priced from the table)."""

    op: dict[str, Any]
    cost: Decimal
    saved: Decimal
    snapshot: dict[str, Any] | None
    source: str
    window: Window | None = None

    @property
    def reserved(self) -> bool:
        """A run's call, already sent against its reservation: spend that happened."""
        return self.op.get("reserved") is not None


@dataclass
class Step:
    """An accepted operation and, per scope it counts in, what it releases of its job's hold."""

    item: Priced
    parts: list[tuple[Scope, Decimal]]


def operations_record(*, operations: list[dict[str, Any]], user=None, api_token=None) -> RecordResult:
    """Record a batch of operations all-or-nothing, each counted once, within the budgets.

    An operation carrying `reserved` (a run's call, already sent against that reservation) is spend that
    happened: it is recorded whatever the budgets say. Flagged `overrun` (it cost more than it reserved),
    it also raises an alert. `estimated` marks one whose tokens were counted by us, not reported.

    Reads and inserts come first: the configuration, the prices, the job's hold, then the ledger rows
    (a key already recorded, or repeated in the batch, is skipped by the insert itself). The running
    totals are updated last, in one statement that locks them in a fixed order and refuses a total
    that would pass a hard limit, so the hot rows stay locked only until the commit right after it.
    """
    if not operations:
        raise ValidationFailed.on("operations", "at least one operation is required")
    if len(operations) > MAX_BATCH:
        raise ValidationFailed.on("operations", f"at most {MAX_BATCH} operations per request")
    operations = attribute_operations(operations, user=user, api_token=api_token)
    with transaction.atomic():
        config = configuration_get()
        now = timezone.now()
        prepared = _priced(operations, config, now)
        budgets: dict[Window, Budget] = {}
        for item in prepared:
            item.window = period_window(config, item.op["timestamp"])
            if item.window:
                budgets.setdefault(item.window, budget_for(config, item.window))
        job_ids = {item.op.get("job_id") for item in prepared if item.op.get("job_id")}
        holds = {h.job_id: h for h in Hold.objects.select_for_update().filter(
            job_id__in=job_ids, released_at__isnull=True)} if job_ids else {}
        inserted = _ledger_insert(prepared, operations, now)

        # What each accepted operation adds to each running total (drawing down its job's hold first).
        result = RecordResult()
        steps, changes = _draws(prepared, inserted, budgets, holds, result)
        if holds:
            Hold.objects.bulk_update(list(holds.values()), ["remaining", "provider_remaining"])

        # Last: the running totals. Then replay the batch from the totals it started from, in order, for
        # the exact budget check (the statement refuses a total only where this check fails), the
        # warnings and the alerts.
        start, refused = _totals_add(changes)
        candidates = _replay(steps, start, budgets, result)
        for step in steps:
            item = step.item
            if item.op.get("overrun"):
                candidates.append(overrun_alert(config, item.op, item.cost,
                                                item.window[0] if item.window else item.op["timestamp"]))
        if refused:  # the statement saw a total over its limit that the replay did not: never commit it
            raise total_refusal(refused[0])
        result.alerts = raise_alerts(config, candidates)
        return result


def _priced(operations: list[dict[str, Any]], config: CostConfiguration, now: dt.datetime) -> list[Priced]:
    """Each operation with its cost (reported, or from the prices); 422 naming every one that has none."""
    table = price_table({op["provider"] for op in operations})
    errors: list[FieldError] = []
    prepared = []
    for index, op in enumerate(operations):
        op = {**op, "timestamp": op.get("timestamp") or now}
        price = price_for(table, op["provider"], op.get("model") or "")
        if op.get("cost") is not None and price is not None and price.currency.upper() != config.currency.upper():
            price = None  # a reported cost needs no price; one in another currency would mix money
        computed = charge(price, **{k: op.get(k) or 0 for k in UNITS}, cache_hit=op.get("cache_hit", False),
                          currency=config.currency)
        currency_check(op.get("currency"), config.currency, field=f"operations[{index}].currency")
        if op.get("cost") is not None:
            cost = money(op["cost"])
            if cost < 0:
                errors.append(FieldError(f"operations[{index}].cost", "must be ≥ 0"))
                continue
            saved = computed.cost_saved if computed.cost is not None else ZERO
            prepared.append(Priced(op, cost, saved, computed.snapshot, "reported"))
        elif computed.cost is None:
            errors.append(FieldError(
                f"operations[{index}].cost",
                f"no cost given and {computed.missing} ({op['provider']} {op.get('model') or ''}".rstrip() + ")",
            ))
        else:
            prepared.append(Priced(op, computed.cost, computed.cost_saved, computed.snapshot, "priced"))
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors[:5]), errors=errors)
    for index, item in enumerate(prepared):  # one per operation: none was skipped
        amount_check(item.cost, field=f"operations[{index}].cost")
        amount_check(item.saved, field=f"operations[{index}].costSaved")
    return prepared


def _ledger_insert(prepared: list[Priced], operations: list[dict[str, Any]], now: dt.datetime) -> set[str]:
    """Insert the ledger rows (the first of each key; what the insert skips is a duplicate); the keys inserted."""
    batch_rows, rows, first_of_key = [], [], set()
    for item, sent in zip(prepared, operations, strict=True):
        op, key = item.op, item.op["idempotency_key"]
        row = CostOperation(
            idempotency_key=key, job_id=op.get("job_id") or "", project_id=op.get("project_id") or "",
            stage=op["stage"], provider=op["provider"], model=op.get("model") or "",
            input_tokens=op.get("input_tokens") or 0, output_tokens=op.get("output_tokens") or 0,
            characters=op.get("characters") or 0, images=op.get("images") or 0, seconds=op.get("seconds") or 0,
            cache_hit=op.get("cache_hit", False), cost=item.cost, cost_saved=item.saved, cost_source=item.source,
            overrun=bool(op.get("overrun")), estimated=bool(op.get("estimated")), price_snapshot=item.snapshot,
            period_start=item.window[0] if item.window else None, timestamp=op["timestamp"],
            recorded_at=now, user_id=op.get("user_id"), api_token_id=op.get("api_token_id"),
        )
        batch_rows.append((row, sent.get("timestamp") is not None))
        if key not in first_of_key:
            first_of_key.add(key)
            rows.append(row)
    inserted = {key for (key,) in rows_insert_new(CostOperation, rows, unique="idempotency_key",
                                                  returning=("idempotency_key",))}
    refuse_reused_keys(batch_rows, inserted)
    rollups_add([row for row in rows if row.idempotency_key in inserted])
    return inserted


def _draws(prepared: list[Priced], inserted: set[str], budgets: dict[Window, Budget], holds: dict[str, Hold],
           result: RecordResult) -> tuple[list[Step], dict[TotalKey, TotalChange]]:
    """The accepted operations (drawing down their job's hold) and what they add to each running total."""
    steps: list[Step] = []
    changes: dict[TotalKey, TotalChange] = {}
    for item in prepared:
        op, cost, key = item.op, item.cost, item.op["idempotency_key"]
        if key not in inserted:
            result.duplicates.append(key)
            continue
        inserted.discard(key)
        hold = holds.get(op.get("job_id") or "")
        parts: list[tuple[Scope, Decimal]] = []
        if item.window:
            budget = budgets[item.window]
            draw = min(cost, hold.remaining) if hold and hold.period_start == item.window[0] else ZERO
            provider_draw = ZERO
            if draw and hold:
                provider_draw = min(cost, Decimal(str(hold.provider_remaining.get(op["provider"], 0))))
            for scope in budget.scopes(providers=[op["provider"]], project_id=op.get("project_id") or ""):
                released = provider_draw if scope.by_provider else draw
                if scope.scope == BudgetTotal.PROJECT and (not hold or hold.project_id != scope.key):
                    released = ZERO
                parts.append((scope, released))
                limit = budget.limit(scope, reserved=item.reserved)
                change = changes.setdefault((item.window[0], scope.scope, scope.key), TotalChange(ZERO, ZERO, limit))
                if limit is None:  # one operation of the batch nothing refuses leaves the total unlimited
                    change.limit = None
                change.spent += cost
                change.held -= released
            if hold and draw:
                hold.remaining -= draw
                if provider_draw:
                    hold.provider_remaining[op["provider"]] = float(
                        Decimal(str(hold.provider_remaining[op["provider"]])) - provider_draw)
        steps.append(Step(item, parts))
        result.accepted.append({"idempotencyKey": key, "cost": float(cost), "costSaved": float(item.saved),
                                "costSource": item.source})
        result.total_cost += cost
    return steps, changes


def _totals_add(changes: dict[TotalKey, TotalChange]) -> tuple[dict[TotalKey, BudgetTotal], list[TotalKey]]:
    """Add the changes in one statement; each total as it was before them, and the totals refused."""
    try:
        after = totals_add(changes)
    except DataError:  # PostgreSQL refuses a total past its column before the replay can
        raise ValidationFailed.on(
            "cost", f"this would take a period's running total past {TOTAL_CAPACITY}, the most it can hold"
        ) from None
    refused = [k for k in changes if k not in after]
    start = {k: BudgetTotal(spent=spent - changes[k].spent, held=held - changes[k].held)
             for k, (spent, held) in after.items()}
    if refused:
        for row in BudgetTotal.objects.filter(period_start__in={k[0] for k in refused}):
            if (row.period_start, row.scope, row.key) in refused:
                start[(row.period_start, row.scope, row.key)] = row
    return start, refused


def _replay(steps: list[Step], start: dict[TotalKey, BudgetTotal], budgets: dict[Window, Budget],
            result: RecordResult) -> list[Alert]:
    """Apply the batch to the totals in order under the budget rule: 402, warnings, and alert candidates."""
    candidates = []
    for step in steps:
        item = step.item
        op, cost, key = item.op, item.cost, item.op["idempotency_key"]
        for scope, released in step.parts:
            budget = budgets[item.window]
            cur = budget.currency
            total = start[(item.window[0], scope.scope, scope.key)]
            before = total.spent
            verdict = budget.check(scope, spent=total.spent, held=total.held - released, amount=cost,
                                   reserved=item.reserved)
            if verdict.decision == BLOCK:
                raise verdict.refusal(cur, idempotency_key=key)
            if verdict.over:
                result.warnings.append(
                    f"{key}: the {scope.label} of {format_money(scope.budget, cur)} is exceeded "
                    f"({format_money(total.spent + cost, cur)} spent).")
            total_capacity_check(total, cost - released, field=f"cost ({key})")
            total.spent += cost
            total.held -= released
            candidates += alert_candidates(budget.config, scope, item.window[0], before, total.spent, key,
                                           op["timestamp"].date().isoformat())
    return candidates
