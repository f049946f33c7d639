"""Budget check and current period: as fast with 1M ledger rows as with 1k (running totals, O(1))."""

from __future__ import annotations

from decimal import Decimal

from benchmarks.harness import Harness, analyze, main, median_time, seed_operations


def run(h: Harness) -> None:
    from costs import budgets, configuration, ledger, selectors
    from costs.models import CostOperation

    configuration.configuration_update(data={"overall_monthly_budget": Decimal("1000"),
                                             "provider_budgets": {"OpenAI": 500}, "hard_budget_limit": True})
    ledger.operations_record(operations=[{"idempotency_key": "budget-seed", "stage": "script",
                                          "provider": "OpenAI", "cost": Decimal("1")}])

    def decide() -> None:
        budgets.budget_decision(amount=Decimal("2"), by_provider={"OpenAI": Decimal("2")})

    small_rows = h.size("ledger_small")
    seed_operations("ledger", small_rows)
    analyze()
    small_decision, small_period = median_time(decide, h.rounds * 20), median_time(selectors.current_period,
                                                                                   h.rounds * 20)
    large_rows = h.size("ledger")
    seed_operations("ledger", large_rows - small_rows, start=small_rows)
    analyze()
    large_decision, large_period = median_time(decide, h.rounds * 20), median_time(selectors.current_period,
                                                                                   h.rounds * 20)
    rows = CostOperation.objects.count()
    h.report("budget_decision_1m_vs_1k_ledger_rows", large_decision, small_decision, most=1.2, rows=rows)
    h.report("current_period_1m_vs_1k_ledger_rows", large_period, small_period, most=1.2, rows=rows)


if __name__ == "__main__":
    main(run)
