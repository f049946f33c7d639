"""Refusals and decisions name their amounts in the budget's currency, sub-cent amounts kept."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from aura_site.errors import PaymentRequired
from costs import budgets, configuration, holds, ledger


@pytest.fixture
def euro_hard_budget(db):
    configuration.configuration_update(data={
        "currency": "EUR", "overall_monthly_budget": D("1"), "provider_budgets": {"Lingo": D("0.5")},
        "hard_budget_limit": True, "alert_thresholds": [], "enable_project_tracking": False})
    ledger.operations_record(operations=[
        {"idempotency_key": "spent", "stage": "script", "provider": "Lingo", "cost": D("0.4"), "currency": "EUR"}])


def test_a_blocked_decision_names_the_budget_the_committed_and_the_part_in_euros(euro_hard_budget):
    decision = budgets.budget_decision(amount=D("0.6025"), by_provider={"Lingo": D("0.6025")})
    assert decision["decision"] == "block"
    assert decision["reasons"] == [
        "The overall budget (€1.00) would be exceeded: €0.40 spent or held + €0.6025.",
        "The provider 'Lingo' budget (€0.50) would be exceeded: €0.40 spent or held + €0.6025.",
    ]


def test_a_refused_hold_names_its_amounts_in_euros(euro_hard_budget):
    with pytest.raises(PaymentRequired) as refused:
        holds.hold_place(job_id="run", amount=D("0.6025"))
    assert "holding €0.6025 for job run" in refused.value.detail
    assert "(€0.40 spent" in refused.value.detail
