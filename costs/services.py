"""The cost rules: configuration, pricing, recording operations under budgets, holds, alerts, exports."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models.functions import Collate, Lower
from django.utils import timezone
from pydantic.alias_generators import to_camel

from aura_site.errors import Conflict, FieldError, NotFound, PaymentRequired, ValidationFailed
from aura_site.schemas import AMOUNT_MAX, MONEY_COLUMN_MAX

from .attribution import attribute_operations
from .currencies import CURRENCIES
from .display import format_money
from .ledger_sql import TotalChange, rows_insert_new, totals_add
from .models import (
    ZERO,
    Alert,
    AlertFrequency,
    BudgetTotal,
    CostConfiguration,
    CostOperation,
    ExportJob,
    Hold,
    PeriodType,
    Price,
    PriceChange,
    ProviderType,
)
from .periods import period_window
from .rollups import rollups_add
from .webhooks import alerts_notify

logger = logging.getLogger(__name__)
MAX_BATCH = 1000
CENT = Decimal("0.000001")


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal | None) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# ---- configuration --------------------------------------------------------------------------------


def configuration_get() -> CostConfiguration:
    config, _ = CostConfiguration.objects.get_or_create(
        user_id="default", defaults={"alert_thresholds": [50, 75, 90, 100]}
    )
    return config


CONFIG_FIELDS = (
    "user_id", "overall_monthly_budget", "period_type", "custom_start", "custom_end", "currency",
    "alert_thresholds", "email_notifications_enabled", "notification_email", "alert_frequency",
    "provider_budgets", "hard_budget_limit", "enable_project_tracking", "forecast_alerts_enabled",
)


# A null in a partial update clears an optional field; on any other field it means "not given".
NULLABLE_CONFIG_FIELDS = {"overall_monthly_budget", "custom_start", "custom_end"}
NULL_CLEARS = {"notification_email": "", "provider_budgets": {}, "alert_thresholds": []}


@transaction.atomic
def configuration_update(*, data: dict[str, Any]) -> CostConfiguration:
    """Apply a full or partial configuration; the rules run on the merged result."""
    config = CostConfiguration.objects.select_for_update().get(pk=configuration_get().pk)
    previous_currency = config.currency
    for name, value in data.items():
        if value is None and name in NULL_CLEARS:
            value = NULL_CLEARS[name]
        elif value is None and name not in NULLABLE_CONFIG_FIELDS:
            continue  # null on a field that always has a value means "not given"
        if name in CONFIG_FIELDS and name != "user_id":
            setattr(config, name, value)
    errors: list[FieldError] = []
    thresholds = config.alert_thresholds or []
    if any(not isinstance(t, int | float) or not 1 <= t <= 100 for t in thresholds):
        errors.append(FieldError("alertThresholds", "each threshold must be between 1 and 100 (%)"))
    elif list(thresholds) != sorted(set(thresholds)):
        errors.append(FieldError("alertThresholds", "must be sorted ascending without repeats"))
    if config.overall_monthly_budget is not None and config.overall_monthly_budget < 0:
        errors.append(FieldError("overallMonthlyBudget", "must be ≥ 0"))
    for provider, budget in (config.provider_budgets or {}).items():
        if budget is None or Decimal(str(budget)) < 0:
            errors.append(FieldError(f"providerBudgets.{provider}", "must be ≥ 0"))
    if config.currency not in CURRENCIES:
        errors.append(FieldError("currency", f"unknown currency {config.currency!r} (use an ISO 4217 code)"))
    elif config.currency != previous_currency:
        currency_change_check(config, previous_currency)
    if config.period_type == PeriodType.CUSTOM:
        if not config.custom_start or not config.custom_end:
            errors.append(FieldError("customStart", "a Custom period needs customStart and customEnd"))
        elif config.custom_start > config.custom_end:
            errors.append(FieldError("customEnd", "must not be before customStart"))
    if errors:
        raise ValidationFailed("Invalid cost configuration: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
                               errors=errors)
    config.provider_budgets = {k: float(money(v)) for k, v in (config.provider_budgets or {}).items()}
    config.updated_at = timezone.now()
    config.save()
    return config


def currency_change_check(config: CostConfiguration, previous: str) -> None:
    """Refuse (409) a new budget currency while the current period has spending or holds in the old one."""
    window = period_window(config, timezone.now())
    if window is None:
        return
    total = BudgetTotal.objects.filter(period_start=window[0], scope=BudgetTotal.OVERALL, key="").first()
    if total is not None and (total.spent or total.held):
        raise Conflict(
            f"The budget currency cannot change from {previous} to {config.currency} while the current period "
            f"has {money(total.spent)} {previous} spent and {money(total.held)} {previous} held: amounts in two "
            f"currencies would be added up. Change it when a new period starts.",
            errors=[FieldError("currency", f"the current period has spending in {previous}")],
        )


def currency_check(currency: str | None, budget_currency: str, *, field: str = "currency") -> None:
    """Refuse (422) money in another currency than the budget's: it would be added up as if it were the same."""
    if currency and budget_currency and currency.upper() != budget_currency.upper():
        raise ValidationFailed.on(
            field, f"is {currency} but the budget is in {budget_currency}; amounts in two currencies are never "
                   f"added up (set prices in {budget_currency}, or change the budget currency first)")


# ---- pricing --------------------------------------------------------------------------------------

PRICE_FIELDS = (
    "provider_type", "cost_per_1k_input_tokens", "cost_per_1k_output_tokens", "cost_per_1k_cached_input_tokens",
    "cost_per_1k_characters", "cost_per_image", "cost_per_second", "currency", "notes",
)


def _price_state(price: Price) -> dict[str, Any]:
    return {name: (str(v) if isinstance(v := getattr(price, name), Decimal) else v) for name in PRICE_FIELDS} | {
        "source": price.source, "set_at": price.set_at.isoformat()}


@transaction.atomic
def price_set(*, provider_name: str, model_id: str = "", data: dict[str, Any], user=None,
              source: str = "manual") -> Price:
    """Set the provider's price (or one model's, which overrides it); the change is kept in history."""
    if data.get("currency") is None:
        data = {**data, "currency": configuration_get().currency}  # not given: the budget's currency
    if data["currency"] not in CURRENCIES:
        raise ValidationFailed.on("currency", f"unknown currency {data.get('currency')!r}")
    currency_check(data["currency"], configuration_get().currency)
    if "cost_per_1k_cached_input_tokens" in data and data["cost_per_1k_cached_input_tokens"] is None:
        data = {k: v for k, v in data.items() if k != "cost_per_1k_cached_input_tokens"}  # null: not given
    for name, value in data.items():
        if name.startswith("cost_per") and value is not None and Decimal(str(value)) < 0:
            raise ValidationFailed.on(_camel(name), "must be ≥ 0")
    price = Price.objects.select_for_update().filter(provider_name=provider_name, model_id=model_id).first()
    before = _price_state(price) if price else None
    price = price or Price(provider_name=provider_name, model_id=model_id)
    for name in PRICE_FIELDS:
        if name in data:
            setattr(price, name, data[name])
    price.source = source
    price.set_at = timezone.now()
    price.set_by = user.get_username() if user is not None else ""
    price.save()
    price.refresh_from_db()
    PriceChange.objects.create(provider_name=provider_name, model_id=model_id, before=before,
                               after=_price_state(price), changed_by=price.set_by)
    return price


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() if not p[0].isdigit() else p.upper() for p in rest)


def price_table(providers: set[str]) -> dict[tuple[str, str], Price]:
    """Prices of these providers keyed by (provider, model) in lower case; one query."""
    lowered = {p.lower() for p in providers}
    rows = Price.objects.annotate(lower_name=Lower("provider_name")).filter(lower_name__in=lowered) if providers else []
    return {(p.provider_name.lower(), p.model_id.lower()): p for p in rows if p.provider_name.lower() in lowered}


def price_for(table: dict[tuple[str, str], Price], provider: str, model: str) -> Price | None:
    """The model's own price, else its provider's."""
    return table.get((provider.lower(), (model or "").lower())) or table.get((provider.lower(), ""))


@dataclass
class Charge:
    cost: Decimal | None  # None: no price covers this operation
    cost_saved: Decimal
    snapshot: dict[str, Any] | None
    missing: str = ""


def charge(price: Price | None, *, input_tokens: int = 0, output_tokens: int = 0, characters: int = 0,
           images: int = 0, seconds: Decimal | float = 0, cache_hit: bool = False,
           currency: str | None = None) -> Charge:
    """What an operation costs at a price (and what a cache hit saved); `currency`: the budget's."""
    if price is None:
        return Charge(None, ZERO, None, "no price for this provider/model")
    currency_check(price.currency, currency or "", field=f"price of {price}")
    snapshot = _price_state(price) | {"provider_name": price.provider_name, "model_id": price.model_id}
    kind = price.provider_type
    if kind == ProviderType.LLM:
        if price.cost_per_1k_input_tokens is None or price.cost_per_1k_output_tokens is None:
            return Charge(None, ZERO, snapshot, "the LLM price lacks input/output token prices")
        full = (Decimal(input_tokens) * price.cost_per_1k_input_tokens
                + Decimal(output_tokens) * price.cost_per_1k_output_tokens) / 1000
        if cache_hit:
            cost = Decimal(input_tokens) * price.cost_per_1k_cached_input_tokens / 1000
            return Charge(money(cost), money(full - cost), snapshot)
        return Charge(money(full), ZERO, snapshot)
    unit_price, amount = {
        ProviderType.TTS: (price.cost_per_1k_characters, Decimal(characters) / 1000),
        ProviderType.IMAGE: (price.cost_per_image, Decimal(images)),
        ProviderType.VIDEO: (price.cost_per_second, Decimal(str(seconds))),
        ProviderType.RENDERING: (price.cost_per_second, Decimal(str(seconds))),
    }[kind]
    if unit_price is None:
        return Charge(None, ZERO, snapshot, f"the {kind} price has no unit price")
    full = money(unit_price * amount)
    if cache_hit:
        return Charge(ZERO, full, snapshot)
    return Charge(full, ZERO, snapshot)


# ---- totals, budgets and alerts -------------------------------------------------------------------


@dataclass
class Scope:
    scope: str
    key: str
    budget: Decimal | None

    @property
    def label(self) -> str:
        return "overall budget" if self.scope == BudgetTotal.OVERALL else f"{self.scope} {self.key!r} budget"


def _scopes(config: CostConfiguration, provider: str, project_id: str) -> list[Scope]:
    budgets = {k.lower(): v for k, v in (config.provider_budgets or {}).items()}
    scopes = [Scope(BudgetTotal.OVERALL, "", config.overall_monthly_budget),
              Scope(BudgetTotal.PROVIDER, provider, _dec(budgets.get(provider.lower())))]
    if config.enable_project_tracking and project_id:
        scopes.append(Scope(BudgetTotal.PROJECT, project_id, None))
    return scopes


OVERRUN_SHARE_CAP = 32767  # an overrun alert's share of its reservation is kept within its column
# What a money column (max_digits=14, decimal_places=6) holds; a running total must stay within it.
TOTAL_CAPACITY = MONEY_COLUMN_MAX


def total_capacity_check(total: BudgetTotal, amount: Decimal, *, field: str) -> None:
    """Refuse (422) an amount that would take a period's running total past what its column holds."""
    if total.spent + total.held + amount > TOTAL_CAPACITY:
        raise ValidationFailed.on(
            field, f"{money(amount)} would take the period's {total.scope} total past {TOTAL_CAPACITY}, the most "
                   f"it can hold ({money(total.spent)} spent, {money(total.held)} held)")


def amount_check(amount: Decimal, *, field: str) -> None:
    """Refuse (422) a computed amount past AMOUNT_MAX, the bound every given amount has in the schema.

    Price and usage are each bounded; their product is not, and could pass what a money column holds.
    """
    if amount > AMOUNT_MAX:
        raise ValidationFailed.on(field, f"comes to {money(amount)}, past {AMOUNT_MAX}, the most one amount may be")


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _lock_totals(keys: set[tuple[dt.datetime, str, str]]) -> dict[tuple, BudgetTotal]:
    """Create missing running totals and lock them all, in a fixed order (no deadlocks)."""
    if not keys:
        return {}
    BudgetTotal.objects.bulk_create(
        [BudgetTotal(period_start=p, scope=s, key=k) for p, s, k in keys], ignore_conflicts=True
    )
    from django.db.models import Q

    condition = Q()
    for p, s, k in keys:
        condition |= Q(period_start=p, scope=s, key=k)
    # The same order as the ledger write's upsert (Python's, i.e. code-point order: PostgreSQL's "C").
    order = ["period_start", "scope", "key"]
    if connection.vendor == "postgresql":
        order = ["period_start", Collate("scope", "C"), Collate("key", "C")]
    rows = BudgetTotal.objects.select_for_update().filter(condition).order_by(*order)
    return {(t.period_start, t.scope, t.key): t for t in rows}


def _alert_candidates(config, scope: Scope, period_start, before: Decimal, after: Decimal, stamp: str, today):
    """Alerts for each threshold the spending has reached, keyed so frequency rules hold."""
    if not scope.budget:
        return []
    found = []
    for threshold in config.alert_thresholds or []:
        limit = scope.budget * Decimal(threshold) / 100
        if after < limit:
            continue
        if config.alert_frequency == AlertFrequency.ONCE:
            key = f"{scope.scope}:{scope.key}:{period_start.isoformat()}:{threshold}"
        elif config.alert_frequency == AlertFrequency.DAILY:
            key = f"{scope.scope}:{scope.key}:{period_start.isoformat()}:{threshold}:{today}"
        else:
            key = f"{scope.scope}:{scope.key}:{period_start.isoformat()}:{threshold}:{stamp}"
        found.append(Alert(
            dedupe_key=key[:300], period_start=period_start, scope=scope.scope, key=scope.key, threshold=threshold,
            spent=money(after), budget=money(scope.budget),
            message=f"{threshold}% of the {scope.label} reached: {format_money(after, config.currency)} of "
                    f"{format_money(scope.budget, config.currency)} spent.",
        ))
    return found


def _overrun_alert(config: CostConfiguration, op: dict[str, Any], cost: Decimal, period_start) -> Alert:
    """The alert of a call that cost more than it had reserved (`threshold`: the share of it used, in %)."""
    reserved = money(op.get("reserved") or 0)
    share = cost * 100 / reserved if reserved else Decimal(OVERRUN_SHARE_CAP)
    cur = config.currency
    return Alert(
        dedupe_key=f"overrun:{op['idempotency_key']}"[:300], period_start=period_start, scope="job",
        key=op.get("job_id") or "", threshold=min(int(share), OVERRUN_SHARE_CAP), spent=cost, budget=reserved,
        message=(f"Overrun: the {op['stage']} call of job {op.get('job_id') or '-'} cost "
                 f"{format_money(cost, cur, unit=True)}, more than the {format_money(reserved, cur, unit=True)} "
                 f"it had reserved; recorded at the provider's reported usage.")[:500],
    )


def _raise_alerts(config: CostConfiguration, candidates: list[Alert]) -> list[Alert]:
    if not candidates:
        return []
    unique, seen = [], set()
    for alert in candidates:
        if alert.dedupe_key not in seen:
            seen.add(alert.dedupe_key)
            unique.append(alert)
    # One statement: alerts already raised (by us or a concurrent writer) are skipped, not re-read.
    ids = dict((key, pk) for pk, key in rows_insert_new(Alert, unique, unique="dedupe_key",
                                                       returning=("id", "dedupe_key")))
    fresh = [a for a in unique if a.dedupe_key in ids]
    for alert in fresh:
        alert.pk = ids[alert.dedupe_key]
    keys = [a.dedupe_key for a in fresh]
    if fresh and config.email_notifications_enabled:
        transaction.on_commit(lambda: alerts_email(dedupe_keys=keys))
    if fresh:
        transaction.on_commit(lambda: alerts_notify(dedupe_keys=keys))
    return sorted(fresh, key=lambda a: (a.raised_at, a.pk), reverse=True)


def alerts_email(*, dedupe_keys: list[str]) -> None:
    """E-mail new alerts through Django's mail settings (after the transaction that raised them)."""
    config = configuration_get()
    alerts = list(Alert.objects.filter(dedupe_key__in=dedupe_keys, emailed=False))
    if not alerts:
        return
    recipient = config.notification_email or settings.DEFAULT_FROM_EMAIL
    body = "\n".join(a.message for a in alerts)
    try:
        send_mail(f"Aura budget alert: {alerts[0].message}", body, settings.DEFAULT_FROM_EMAIL, [recipient])
    except OSError:
        logger.exception("Could not e-mail %d budget alert(s)", len(alerts))
        return
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(emailed=True)


def alert_acknowledge(*, alert_id: int, user) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound(f"No alert {alert_id}.")
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = user.get_username()
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        return alert


# ---- recording operations -------------------------------------------------------------------------


@dataclass
class RecordResult:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    total_cost: Decimal = ZERO


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
        table = price_table({op["provider"] for op in operations})
        errors: list[FieldError] = []
        prepared = []
        for index, op in enumerate(operations):
            op = {**op, "timestamp": op.get("timestamp") or now}
            price = price_for(table, op["provider"], op.get("model") or "")
            if op.get("cost") is not None and price is not None and price.currency.upper() != config.currency.upper():
                price = None  # a reported cost needs no price; one in another currency would mix money
            computed = charge(price, **{k: op.get(k) or 0 for k in (
                "input_tokens", "output_tokens", "characters", "images", "seconds")},
                cache_hit=op.get("cache_hit", False), currency=config.currency)
            currency_check(op.get("currency"), config.currency, field=f"operations[{index}].currency")
            if op.get("cost") is not None:
                cost = money(op["cost"])
                if cost < 0:
                    errors.append(FieldError(f"operations[{index}].cost", "must be ≥ 0"))
                    continue
                saved = computed.cost_saved if computed.cost is not None else ZERO
                prepared.append((op, cost, saved, computed.snapshot, "reported"))
            elif computed.cost is None:
                errors.append(FieldError(
                    f"operations[{index}].cost",
                    f"no cost given and {computed.missing} ({op['provider']} {op.get('model') or ''}".rstrip() + ")",
                ))
            else:
                prepared.append((op, computed.cost, computed.cost_saved, computed.snapshot, "priced"))
        if errors:
            raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors[:5]), errors=errors)
        for index, (_op, cost, saved, *_rest) in enumerate(prepared):  # one per operation: none was skipped
            amount_check(cost, field=f"operations[{index}].cost")
            amount_check(saved, field=f"operations[{index}].costSaved")

        windows = {id(op): period_window(config, op["timestamp"]) for op, *_ in prepared}
        job_ids = {op.get("job_id") for op, *_ in prepared if op.get("job_id")}
        holds = {h.job_id: h for h in Hold.objects.select_for_update().filter(
            job_id__in=job_ids, released_at__isnull=True)} if job_ids else {}

        # The ledger rows: the first of each key goes to the insert; what it skips is a duplicate.
        batch_rows, rows, first_of_key = [], [], set()
        for (op, cost, saved, snapshot, source), sent in zip(prepared, operations, strict=True):
            key = op["idempotency_key"]
            window = windows[id(op)]
            row = CostOperation(
                idempotency_key=key, job_id=op.get("job_id") or "", project_id=op.get("project_id") or "",
                stage=op["stage"], provider=op["provider"], model=op.get("model") or "",
                input_tokens=op.get("input_tokens") or 0, output_tokens=op.get("output_tokens") or 0,
                characters=op.get("characters") or 0, images=op.get("images") or 0, seconds=op.get("seconds") or 0,
                cache_hit=op.get("cache_hit", False), cost=cost, cost_saved=saved, cost_source=source,
                overrun=bool(op.get("overrun")), estimated=bool(op.get("estimated")),
                price_snapshot=snapshot, period_start=window[0] if window else None, timestamp=op["timestamp"],
                recorded_at=now, user_id=op.get("user_id"), api_token_id=op.get("api_token_id"),
            )
            batch_rows.append((row, sent.get("timestamp") is not None))
            if key not in first_of_key:
                first_of_key.add(key)
                rows.append(row)
        inserted = {key for (key,) in rows_insert_new(CostOperation, rows, unique="idempotency_key",
                                                      returning=("idempotency_key",))}
        _refuse_reused_keys(batch_rows, inserted)
        rollups_add([row for row in rows if row.idempotency_key in inserted])

        # What each accepted operation adds to each running total (drawing down its job's hold first).
        result = RecordResult()
        steps: list[tuple[dict[str, Any], Decimal, tuple | None, list[tuple[Scope, Decimal]]]] = []
        changes: dict[tuple, TotalChange] = {}
        for op, cost, saved, _snapshot, source in prepared:
            key = op["idempotency_key"]
            if key not in inserted:
                result.duplicates.append(key)
                continue
            inserted.discard(key)
            window = windows[id(op)]
            hold = holds.get(op.get("job_id") or "")
            parts: list[tuple[Scope, Decimal]] = []
            if window:
                draw = min(cost, hold.remaining) if hold and hold.period_start == window[0] else ZERO
                provider_draw = ZERO
                if draw and hold:
                    provider_draw = min(cost, Decimal(str(hold.provider_remaining.get(op["provider"], 0))))
                for scope in _scopes(config, op["provider"], op.get("project_id") or ""):
                    released = draw if scope.scope != BudgetTotal.PROVIDER else provider_draw
                    if scope.scope == BudgetTotal.PROJECT and (not hold or hold.project_id != scope.key):
                        released = ZERO
                    parts.append((scope, released))
                    change = changes.setdefault((window[0], scope.scope, scope.key), TotalChange(
                        ZERO, ZERO, scope.budget if config.hard_budget_limit else None))
                    if op.get("reserved") is not None:  # already spent: never refused
                        change.limit = None
                    change.spent += cost
                    change.held -= released
                if hold and draw:
                    hold.remaining -= draw
                    if provider_draw:
                        hold.provider_remaining[op["provider"]] = float(
                            Decimal(str(hold.provider_remaining[op["provider"]])) - provider_draw)
            steps.append((op, cost, window, parts))
            result.accepted.append({"idempotencyKey": key, "cost": float(cost), "costSaved": float(saved),
                                    "costSource": source})
            result.total_cost += cost
        if holds:
            Hold.objects.bulk_update(list(holds.values()), ["remaining", "provider_remaining"])

        # Last: the running totals. Then replay the batch from the totals it started from, in order, for
        # the exact budget check (the statement refuses a total only where this check fails), the
        # warnings and the alerts.
        try:
            after = totals_add(changes)
        except DataError:  # PostgreSQL refuses a total past its column before the check below can
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
        candidates = []
        cur = config.currency
        for op, cost, window, parts in steps:
            key = op["idempotency_key"]
            for scope, released in parts:
                total = start[(window[0], scope.scope, scope.key)]
                before = total.spent
                after_committed = total.spent + cost + total.held - released
                if scope.budget is not None and after_committed > scope.budget:
                    numbers = {"spent": float(total.spent), "held": float(total.held - released),
                               "budget": float(scope.budget), "operationCost": float(cost), "scope": scope.scope,
                               "key": scope.key, "idempotencyKey": key}
                    if config.hard_budget_limit and op.get("reserved") is None:
                        raise PaymentRequired(
                            f"Hard budget limit: this operation ({format_money(cost, cur, unit=True)}) would take "
                            f"the {scope.label} past {format_money(scope.budget, cur)} "
                            f"({format_money(total.spent, cur)} spent, {format_money(total.held - released, cur)} "
                            f"held).", extra=numbers)
                    result.warnings.append(
                        f"{key}: the {scope.label} of {format_money(scope.budget, cur)} is exceeded "
                        f"({format_money(total.spent + cost, cur)} spent).")
                total_capacity_check(total, cost - released, field=f"cost ({key})")
                total.spent += cost
                total.held -= released
                candidates += _alert_candidates(config, scope, window[0], before, total.spent, key,
                                                op["timestamp"].date().isoformat())
        for op, cost, window, _parts in steps:
            if op.get("overrun"):
                candidates.append(_overrun_alert(config, op, cost, window[0] if window else op["timestamp"]))
        if refused:  # the statement saw a total over its limit that the replay did not: never commit it
            raise PaymentRequired("Hard budget limit: a running total would pass its budget.",
                                  extra={"scope": refused[0][1], "key": refused[0][2]})
        result.alerts = _raise_alerts(config, candidates)
        return result


# The ledger columns an operation's body sets. A key sent again with any of them different is another
# operation under a used key, not a retry. The time counts when the repeat sends one (without one, it is
# "now"); a cost computed from the prices is not compared, since prices may have changed in between.
_PAYLOAD_FIELDS = ("job_id", "project_id", "stage", "provider", "model", "input_tokens", "output_tokens",
                   "characters", "images", "seconds", "cache_hit")


def _payload_differences(repeat: CostOperation, first: CostOperation, *, timed: bool) -> list[str]:
    """The body fields (camelCase) in which a repeated operation differs from the first one with its key."""
    names = [to_camel(name) for name in _PAYLOAD_FIELDS if getattr(repeat, name) != getattr(first, name)]
    if repeat.cost_source != first.cost_source or (repeat.cost_source != "priced" and repeat.cost != first.cost):
        names.append("cost")
    if timed and repeat.timestamp != first.timestamp:
        names.append("timestamp")
    return names


def _refuse_reused_keys(batch_rows: list[tuple[CostOperation, bool]], inserted: set[str]) -> None:
    """409 for a key sent again with a different operation (recorded before, or earlier in the batch).

    `batch_rows` are the batch's ledger rows in order, each with whether its body gave a timestamp. An
    identical repeat stays an acknowledged duplicate. Reads the ledger only when a key repeats.
    """
    first: dict[str, CostOperation] = {}
    repeats = []
    for index, (row, timed) in enumerate(batch_rows):
        key = row.idempotency_key
        if key in first or key not in inserted:
            repeats.append((index, row, timed))
        first.setdefault(key, row)
    if not repeats:
        return
    recorded = {row.idempotency_key: row for row in CostOperation.objects.filter(
        idempotency_key__in={row.idempotency_key for _, row, _ in repeats} - inserted)}
    reused = []
    for index, row, timed in repeats:
        key = row.idempotency_key
        differences = _payload_differences(row, recorded.get(key, first[key]), timed=timed)
        if differences:
            reused.append((key, FieldError(f"operations[{index}].idempotencyKey",
                                           f"{key!r} was already used for another operation "
                                           f"({', '.join(differences)} differ)")))
    if reused:
        raise Conflict(
            f"Idempotency key {reused[0][0]!r} was already used for an operation with a different body: a retry "
            "must repeat it exactly, and a new operation needs a new key. Nothing in this request was recorded.",
            errors=[error for _, error in reused])


# ---- estimates and holds --------------------------------------------------------------------------


@dataclass
class Estimate:
    items: list[dict[str, Any]]
    total: Decimal
    unpriced: list[dict[str, Any]]
    by_provider: dict[str, Decimal]


def estimate_items(items: list[dict[str, Any]]) -> Estimate:
    """Worst-case cost of planned operations: prompt + max tokens, characters, images, seconds."""
    table = price_table({i["provider"] for i in items})
    currency = configuration_get().currency
    out, unpriced, total, by_provider = [], [], ZERO, {}
    for index, item in enumerate(items):
        price = price_for(table, item["provider"], item.get("model") or "")
        output_tokens = item.get("max_tokens") or item.get("output_tokens") or 0
        computed = charge(price, input_tokens=item.get("input_tokens") or 0, output_tokens=output_tokens,
                          characters=item.get("characters") or 0, images=item.get("images") or 0,
                          seconds=item.get("seconds") or 0, currency=currency)
        row = {"index": index, "provider": item["provider"], "model": item.get("model") or "",
               "stage": item.get("stage") or "", "cost": None if computed.cost is None else float(computed.cost),
               "priced": computed.cost is not None}
        if computed.cost is None:
            row["reason"] = computed.missing
            unpriced.append(row)
        else:
            total += computed.cost
            by_provider[item["provider"]] = by_provider.get(item["provider"], ZERO) + computed.cost
        out.append(row)
    return Estimate(out, total, unpriced, by_provider)


def budget_decision(*, amount: Decimal, by_provider: dict[str, Decimal], at: dt.datetime | None = None
                    ) -> dict[str, Any]:
    """Whether spending `amount` now is allowed, warned about or blocked; reads only."""
    config = configuration_get()
    window = period_window(config, at or timezone.now())
    reasons, decision = [], "allow"
    if window is None:
        return {"decision": "allow", "reasons": ["No budget period is in force."]}
    totals = {(t.scope, t.key): t for t in BudgetTotal.objects.filter(period_start=window[0])}
    checks = [(Scope(BudgetTotal.OVERALL, "", config.overall_monthly_budget), amount)]
    budgets = {k.lower(): v for k, v in (config.provider_budgets or {}).items()}
    for provider, part in by_provider.items():
        checks.append((Scope(BudgetTotal.PROVIDER, provider, _dec(budgets.get(provider.lower()))), part))
    thresholds = sorted(config.alert_thresholds or [100])
    for scope, part in checks:
        if scope.budget is None:
            continue
        total = totals.get((scope.scope, scope.key))
        committed = (total.spent + total.held) if total else ZERO
        if committed + part > scope.budget:
            decision = "block" if config.hard_budget_limit else "warn"
            cur = config.currency
            reasons.append(f"The {scope.label} ({format_money(scope.budget, cur)}) would be exceeded: "
                           f"{format_money(committed, cur)} spent or held + {format_money(part, cur, unit=True)}.")
            continue
        crossed = [t for t in thresholds if committed + part >= scope.budget * Decimal(t) / 100]
        if crossed:
            decision = "warn" if decision == "allow" else decision
            reasons.append(f"This would reach {crossed[-1]}% of the {scope.label}.")
    return {"decision": decision, "reasons": reasons or ["Within budget."]}


def hold_place(*, job_id: str, amount: Decimal | float | None = None, plan: list[dict[str, Any]] | None = None,
               project_id: str = "", provider: str = "", user=None) -> Hold:
    """Reserve a run's worst-case cost against the budgets (402 under a hard limit when it does not fit).

    One hold per job (a unique constraint on job_id): the hold row is claimed first, so of concurrent
    requests for one job exactly one gets it and the others a 409, before any budget total moves.
    """
    with transaction.atomic():
        if plan:
            estimate = estimate_items(plan)
            if estimate.unpriced:
                first = estimate.unpriced[0]
                raise ValidationFailed.on(f"plan[{first['index']}]", f"cannot be priced: {first['reason']}")
            total, by_provider = estimate.total, estimate.by_provider
        elif amount is not None:
            total = money(amount)
            if total < 0:
                raise ValidationFailed.on("amount", "must be ≥ 0")
            by_provider = {provider: total} if provider else {}
        else:
            raise ValidationFailed.on("amount", "give an amount or a plan")
        amount_check(total, field="plan" if plan else "amount")
        config = configuration_get()
        window = period_window(config, timezone.now())
        if window is None:
            raise ValidationFailed.on("periodType", "no budget period is in force now; a hold needs one")
        keys = {(window[0], BudgetTotal.OVERALL, "")} | {(window[0], BudgetTotal.PROVIDER, p) for p in by_provider}
        if config.enable_project_tracking and project_id:
            keys.add((window[0], BudgetTotal.PROJECT, project_id))
        hold = _hold_claim(job_id=job_id, period_start=window[0], amount=total, project_id=project_id,
                           provider_remaining={p: float(v) for p, v in by_provider.items()})
        totals = _lock_totals(keys)
        budgets = {k.lower(): v for k, v in (config.provider_budgets or {}).items()}
        checks = [(Scope(BudgetTotal.OVERALL, "", config.overall_monthly_budget), total)] + [
            (Scope(BudgetTotal.PROVIDER, p, _dec(budgets.get(p.lower()))), part) for p, part in by_provider.items()]
        for scope, part in checks:
            row = totals[(window[0], scope.scope, scope.key)]
            if config.hard_budget_limit and scope.budget is not None and row.spent + row.held + part > scope.budget:
                raise PaymentRequired(
                    f"Hard budget limit: holding {format_money(part, config.currency, unit=True)} for job {job_id} "
                    "does not fit "
                    f"the {scope.label} ({format_money(row.spent, config.currency)} spent, "
                    f"{format_money(row.held, config.currency)} held of "
                    f"{format_money(scope.budget, config.currency)}).",
                    extra={"spent": float(row.spent), "held": float(row.held), "budget": float(scope.budget),
                           "operationCost": float(part), "scope": scope.scope, "key": scope.key})
        for (_, scope_name, key), row in totals.items():
            part = total if scope_name in (BudgetTotal.OVERALL, BudgetTotal.PROJECT) else by_provider.get(key, ZERO)
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
        config = configuration_get()
        keys = {(hold.period_start, BudgetTotal.OVERALL, "")} | {
            (hold.period_start, BudgetTotal.PROVIDER, p) for p in hold.provider_remaining}
        if config.enable_project_tracking and hold.project_id:
            keys.add((hold.period_start, BudgetTotal.PROJECT, hold.project_id))
        totals = _lock_totals(keys)
        for (_, scope_name, key), row in totals.items():
            if scope_name == BudgetTotal.PROVIDER:
                row.held -= Decimal(str(hold.provider_remaining.get(key, 0)))
            else:
                row.held -= hold.remaining
            row.held = max(row.held, ZERO)
        BudgetTotal.objects.bulk_update(list(totals.values()), ["held"])
        hold.remaining = ZERO
        hold.provider_remaining = {p: 0.0 for p in hold.provider_remaining}
        hold.released_at = timezone.now()
        hold.save()
        return hold


# ---- exports --------------------------------------------------------------------------------------


def export_start(*, job_id: str, fmt: str, date_from=None, date_to=None, user=None) -> ExportJob:
    """Queue an export of a job's operations (or all, between dates); a task writes the file."""
    if fmt not in {"csv", "json"}:
        raise ValidationFailed.on("format", "must be 'csv' or 'json'")
    if job_id != "all" and not CostOperation.objects.filter(job_id=job_id).exists():
        raise NotFound(f"No operations recorded for job {job_id}.")
    export = ExportJob.objects.create(job_id=job_id, format=fmt, date_from=date_from, date_to=date_to,
                                      created_by=user)
    from aura_site.broker import enqueue

    from .tasks import write_export

    # Broker down: 503 within seconds, and the row is removed again (no orphan PENDING export).
    enqueue(write_export, str(export.id), undo=export.delete)
    return export


# Worst case of one model stage of a run: the system prompt and brief in, a full completion out.
RUN_PROMPT_TOKENS = 1500
RUN_MAX_TOKENS = 4000


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
    from django.db.models import Sum

    hold = Hold.objects.select_for_update().filter(job_id=job_id, released_at__isnull=True).first()
    used = CostOperation.objects.filter(job_id=job_id).aggregate(total=Sum("cost"))["total"] or ZERO
    released = ZERO
    if hold is not None:
        released = hold.remaining
        hold_release(job_id=job_id)
    return HoldSettlement(money(used), money(released))
