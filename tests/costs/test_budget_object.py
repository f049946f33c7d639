"""The Budget rule on its own: its scopes, the limit the ledger statement enforces, and allow/warn/block.

Built from an unsaved configuration, so each case states the exact inputs and the answer with its numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from aura_site.errors import ValidationFailed
from costs.budgets import (
    ALLOW,
    BLOCK,
    TOTAL_CAPACITY,
    WARN,
    Budget,
    Scope,
    Verdict,
    budget_at,
    budget_for,
    lock_totals,
    total_capacity_check,
    total_refusal,
)
from costs.models import BudgetTotal, CostConfiguration

WINDOW = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))


def _budget(**fields) -> Budget:
    config = CostConfiguration(**{"overall_monthly_budget": D(10), "provider_budgets": {"Lingo": 4.5},
                                  "alert_thresholds": [50, 90], "hard_budget_limit": True,
                                  "enable_project_tracking": True, "currency": "USD", **fields})
    return budget_for(config, WINDOW)


def test_an_amount_counts_overall_per_provider_and_per_tracked_project_with_their_budgets():
    budget = _budget()
    assert budget.period_start == WINDOW[0]
    assert budget.scopes(providers=["LINGO", "Vox"], project_id="p1") == [
        Scope("overall", "", D(10)), Scope("provider", "LINGO", D("4.5")), Scope("provider", "Vox", None),
        Scope("project", "p1", None)]
    assert budget.scopes(providers=["Vox"]) == [Scope("overall", "", D(10)), Scope("provider", "Vox", None)]
    assert _budget(enable_project_tracking=False).scopes(providers=[], project_id="p1") == [
        Scope("overall", "", D(10))]
    assert budget_for(CostConfiguration(), None).period_start is None


def test_a_provider_budget_is_found_whatever_the_case_of_its_name():
    budget = _budget(provider_budgets={"OpenAI": 2, "lingo": "3.25"})
    assert (budget.provider_budget("openai"), budget.provider_budget("LINGO"), budget.provider_budget("Vox")) == (
        D(2), D("3.25"), None)


def test_a_scope_takes_the_whole_amount_or_its_providers_part():
    by_provider = {"Lingo": D(3), "Vox": D(1)}
    assert Scope("overall", "", None).share(D(4), by_provider) == D(4)
    assert Scope("project", "p1", None).share(D(4), by_provider) == D(4)
    assert Scope("provider", "Vox", None).share(D(4), by_provider) == D(1)
    assert Scope("provider", "Pix", None).share(D(4), by_provider) == D(0)


def test_the_report_lists_overall_then_providers_with_a_total_or_a_budget_then_projects_sorted():
    budget = _budget(provider_budgets={"lingo": 1, "Vox": 2})
    keys = {("overall", ""), ("provider", "Lingo"), ("project", "b"), ("project", "a")}
    assert budget.report_scopes(keys) == [
        Scope("overall", "", D(10)), Scope("provider", "Lingo", D(1)), Scope("provider", "Vox", D(2)),
        Scope("project", "a", None), Scope("project", "b", None)]


@pytest.mark.parametrize(("hard", "reserved", "limit"), [
    (True, False, D(10)), (True, True, None), (False, False, None), (False, True, None)])
def test_the_statement_limit_is_the_budget_only_under_a_hard_limit_and_never_for_reserved_spend(hard, reserved, limit):
    budget = _budget(hard_budget_limit=hard)
    assert budget.limit(Scope("overall", "", D(10)), reserved=reserved) == limit
    assert budget.limit(Scope("project", "p1", None), reserved=reserved) is None


@pytest.mark.parametrize(("amount", "decision", "over", "reached"), [
    ("0", ALLOW, False, None),
    ("1.999999", ALLOW, False, None),
    ("2", WARN, False, 50),
    ("5.999999", WARN, False, 50),
    ("6", WARN, False, 90),
    ("7", WARN, False, 90),
    ("7.000001", BLOCK, True, None),
])
def test_check_allows_warns_at_a_threshold_and_blocks_past_the_budget(amount, decision, over, reached):
    scope = Scope("overall", "", D(10))
    verdict = _budget().check(scope, spent=D(2), held=D(1), amount=D(amount))
    assert (verdict.decision, verdict.over, verdict.reached) == (decision, over, reached)
    assert (verdict.spent, verdict.held, verdict.amount, verdict.scope) == (D(2), D(1), D(amount), scope)


def test_past_the_budget_a_soft_limit_or_reserved_spend_warns_instead_of_blocking():
    scope = Scope("overall", "", D(10))
    soft = _budget(hard_budget_limit=False).check(scope, spent=D(10), held=D(0), amount=D(1))
    reserved = _budget().check(scope, spent=D(10), held=D(0), amount=D(1), reserved=True)
    assert (soft.decision, soft.over) == (reserved.decision, reserved.over) == (WARN, True)


def test_a_scope_without_a_budget_always_allows_and_no_thresholds_means_one_at_100_percent():
    scope = Scope("project", "p", None)
    unbudgeted = _budget().check(scope, spent=D(9**9), held=D(2), amount=D(1))
    assert unbudgeted == Verdict(ALLOW, scope, D(9**9), D(2), D(1), over=False, reached=None)
    verdict = _budget(alert_thresholds=[]).check(Scope("overall", "", D(10)), spent=D(9), held=D(0), amount=D(1))
    assert (verdict.decision, verdict.reached) == (WARN, 100)


def test_the_402_names_the_amount_the_scope_and_its_numbers_for_an_operation_and_for_a_hold():
    verdict = _budget(currency="EUR").check(Scope("provider", "Lingo", D("4.5")), spent=D("4.004"), held=D("0.25"),
                                            amount=D("0.2525"))
    numbers = {"spent": 4.004, "held": 0.25, "budget": 4.5, "operationCost": 0.2525, "scope": "provider",
               "key": "Lingo"}
    operation = verdict.refusal("EUR", idempotency_key="k1")
    assert operation.detail == ("Hard budget limit: this operation (€0.2525) would take the provider 'Lingo' "
                                "budget past €4.50 (€4.00 spent, €0.25 held).")
    assert operation.extra == numbers | {"idempotencyKey": "k1"}
    hold = verdict.refusal("EUR", job_id="run-1")
    assert hold.detail == ("Hard budget limit: holding €0.2525 for job run-1 does not fit the provider 'Lingo' "
                           "budget (€4.00 spent, €0.25 held of €4.50).")
    assert hold.extra == numbers
    refused = total_refusal((WINDOW[0], "overall", ""))
    assert (refused.detail, refused.extra) == ("Hard budget limit: a running total would pass its budget.",
                                               {"scope": "overall", "key": ""})


@pytest.mark.django_db
def test_the_budget_in_force_and_the_totals_locked_are_those_of_the_period_asked_for():
    CostConfiguration.objects.create(user_id="default", overall_monthly_budget=D(7), period_type="Monthly")
    budget = budget_at(dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC))
    assert budget.scopes() == [Scope("overall", "", D(7))] and budget.period_start.month == 11
    october = budget_at(dt.datetime(2026, 10, 10, 12, tzinfo=dt.UTC)).period_start
    BudgetTotal.objects.create(period_start=october, scope="overall", key="", spent=D(3))
    BudgetTotal.objects.create(period_start=budget.period_start, scope="provider", key="Lingo", spent=D(1))
    BudgetTotal.objects.create(period_start=budget.period_start, scope="project", key="Lingo", spent=D(5))
    locked = lock_totals({(budget.period_start, "overall", ""), (budget.period_start, "provider", "Lingo")})
    assert {key: row.spent for key, row in locked.items()} == {
        (budget.period_start, "overall", ""): D(0), (budget.period_start, "provider", "Lingo"): D(1)}
    assert lock_totals(set()) == {}


def test_a_running_total_may_reach_what_its_column_holds_and_not_a_millionth_more():
    total = BudgetTotal(scope="overall", spent=TOTAL_CAPACITY - D(3), held=D(2))
    total_capacity_check(total, D(1), field="cost")
    with pytest.raises(ValidationFailed) as refused:
        total_capacity_check(total, D("1.000001"), field="cost")
    assert refused.value.errors[0].field == "cost"
    assert refused.value.errors[0].message == (
        "1.000001 would take the period's overall total past 99999999.999999, the most it can hold "
        "(99999996.999999 spent, 2.000000 held)")
