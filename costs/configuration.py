"""The cost configuration: one row of budgets, period, currency and alert settings, and its rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from aura_site.errors import Conflict, FieldError, ValidationFailed

from .currencies import CURRENCIES
from .models import BudgetTotal, CostConfiguration, PeriodType
from .money import money
from .periods import period_window


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
