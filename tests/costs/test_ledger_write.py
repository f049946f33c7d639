"""The lean ledger write: few statements, running totals last, the hard limit exact under load."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aura_site.errors import PaymentRequired
from costs import configuration, holds, ledger, pricing
from costs.models import Alert, BudgetTotal, CostOperation, Hold

# One operation: configuration, prices, the job's hold, the ledger insert, the running totals.
# Configuration, prices, the job's hold, the ledger insert, the daily rollups, the running totals.
MAX_QUERIES_FOR_ONE_OPERATION = 6
# Inside a test's transaction the write's own transaction is a savepoint: SAVEPOINT and RELEASE are counted
# (in a request it is BEGIN and COMMIT, which PostgreSQL's driver does not count as queries).
SAVEPOINT = 2


@pytest.fixture
def caller(django_user_model):
    """The user posting the operations (as the API passes it); without one, a run's creator is looked up."""
    return django_user_model.objects.create_user("poster", "poster@example.com", "poster-pass-123")


def _op(key: str, cost: str | None = "1.00", **extra) -> dict:
    op = {"idempotency_key": key, "job_id": "job-1", "stage": "script", "provider": "OpenAI", **extra}
    if cost is not None:
        op["cost"] = Decimal(cost)
    return op


@pytest.mark.django_db
@pytest.mark.parametrize("existing", [0, 2000])
def test_one_operation_takes_at_most_six_queries_whatever_the_ledger_size(existing, django_assert_max_num_queries,
                                                                         caller):
    CostOperation.objects.bulk_create([
        CostOperation(idempotency_key=f"old{i}", stage="script", provider="OpenAI", cost=Decimal("0.001"),
                      cost_source="reported") for i in range(existing)])
    ledger.operations_record(operations=[_op("warm")])
    with django_assert_max_num_queries(MAX_QUERIES_FOR_ONE_OPERATION + SAVEPOINT):
        ledger.operations_record(operations=[_op("one", None, model="gpt-4o", input_tokens=100)], user=caller)
    with django_assert_max_num_queries(MAX_QUERIES_FOR_ONE_OPERATION + SAVEPOINT):
        ledger.operations_record(operations=[_op(f"b{i}", "0.10", project_id=f"p{i % 3}") for i in range(40)],
                                   user=caller)  # 40 rows: one INSERT within SQLite's 999 parameters
    assert BudgetTotal.objects.get(scope="overall").spent == Decimal("5.000250")


@pytest.mark.django_db
def test_drawing_a_hold_or_raising_alerts_adds_one_statement_each(django_assert_max_num_queries, caller):
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("10"), "alert_thresholds": [50]})
    holds.hold_place(job_id="job-1", amount=Decimal("2"))
    with django_assert_max_num_queries(MAX_QUERIES_FOR_ONE_OPERATION + 1 + SAVEPOINT):
        ledger.operations_record(operations=[_op("h1")], user=caller)
    assert Hold.objects.get(job_id="job-1").remaining == Decimal("1")
    with django_assert_max_num_queries(MAX_QUERIES_FOR_ONE_OPERATION + 1 + SAVEPOINT):
        result = ledger.operations_record(operations=[_op("a1", "5.00", job_id="")], user=caller)
    assert [a.threshold for a in result.alerts] == [50] and result.alerts[0].pk == Alert.objects.get().pk


@pytest.mark.django_db
def test_the_running_totals_are_the_last_statement_of_a_write():
    ledger.operations_record(operations=[_op("warm")])
    with CaptureQueriesContext(connection) as captured:
        ledger.operations_record(operations=[_op("x"), _op("y", provider="Anthropic")])
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(
        ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]
    assert "costs_budgettotal" in statements[-1] and statements[-1].upper().startswith("INSERT")
    assert sum("costs_budgettotal" in sql for sql in statements) == 1


@pytest.mark.django_db
def test_a_key_already_recorded_or_repeated_in_the_batch_counts_once():
    ledger.operations_record(operations=[_op("k1")])
    result = ledger.operations_record(operations=[_op("k1"), _op("k2"), _op("k2"), _op("k3")])
    assert [a["idempotencyKey"] for a in result.accepted] == ["k2", "k3"]
    assert result.duplicates == ["k1", "k2"] and result.total_cost == Decimal("2.00")
    assert BudgetTotal.objects.get(scope="overall").spent == Decimal("3")


@pytest.mark.django_db
def test_the_hard_limit_is_exact_at_the_smallest_money_unit():
    # 0.1 + 0.1 + 0.1 is not 0.3 in binary floating point (SQLite's numbers): the limit must still hold
    # exactly, accepting the third operation and refusing the fourth.
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("0.3"), "hard_budget_limit": True})
    for i in range(3):
        ledger.operations_record(operations=[_op(f"t{i}", "0.1")])
    with pytest.raises(PaymentRequired):
        ledger.operations_record(operations=[_op("t3", "0.000001")])
    assert BudgetTotal.objects.get(scope="overall").spent == Decimal("0.3")
    assert CostOperation.objects.count() == 3


@pytest.mark.django_db
def test_a_refused_batch_reports_the_operation_that_crosses_and_writes_nothing():
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("10"), "hard_budget_limit": True})
    ledger.operations_record(operations=[_op("a", "8")])
    with pytest.raises(PaymentRequired) as refused:
        ledger.operations_record(operations=[_op("b", "1"), _op("c", "3"), _op("d", "0.5")])
    assert refused.value.extra["idempotencyKey"] == "c" and refused.value.extra["spent"] == 9.0
    assert BudgetTotal.objects.get(scope="overall").spent == Decimal("8")
    assert set(CostOperation.objects.values_list("idempotency_key", flat=True)) == {"a"}


@pytest.mark.django_db
def test_a_new_provider_total_over_its_limit_is_refused_too():
    configuration.configuration_update(data={"provider_budgets": {"Mistral": 1}, "hard_budget_limit": True})
    with pytest.raises(PaymentRequired) as refused:
        ledger.operations_record(operations=[_op("m", "1.5", provider="Mistral")])
    assert refused.value.extra["scope"] == "provider"
    assert not BudgetTotal.objects.exists() and not CostOperation.objects.exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_thirty_two_threads_hold_a_hard_budget_exactly_and_count_a_shared_key_once():
    configuration.configuration_update(data={"overall_monthly_budget": Decimal("99.00"), "hard_budget_limit": True})
    barrier = threading.Barrier(32)

    def record(i: int) -> str:
        barrier.wait()
        try:
            ledger.operations_record(operations=[_op(f"t{i}", "3.00", provider=f"P{i % 4}")])
            ledger.operations_record(operations=[_op("shared", "0.00")])
            return "ok"
        except PaymentRequired:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(record, range(32)))
    assert outcomes.count("ok") == 32 and BudgetTotal.objects.get(scope="overall").spent == Decimal("96.00")
    outcomes_more = []
    barrier = threading.Barrier(8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes_more = list(pool.map(lambda i: record(100 + i), range(8)))
    assert outcomes_more.count("ok") == 1 and outcomes_more.count("refused") == 7
    recorded = sum(CostOperation.objects.values_list("cost", flat=True), Decimal(0))
    assert recorded == Decimal("99.00") == BudgetTotal.objects.get(scope="overall").spent
    assert CostOperation.objects.filter(idempotency_key="shared").count() == 1
    providers = BudgetTotal.objects.filter(scope="provider")
    assert sum(t.spent for t in providers) == Decimal("99.00")


@pytest.mark.django_db
def test_the_totals_statement_refuses_a_total_that_would_pass_its_limit_and_leaves_it_unchanged():
    import datetime as dt

    from costs.ledger_sql import TotalChange, totals_add

    key = (dt.datetime(2026, 11, 1, tzinfo=dt.UTC), BudgetTotal.OVERALL, "")
    assert totals_add({key: TotalChange(Decimal("8"), Decimal("1"), Decimal("10"))}) == {
        key: (Decimal("8"), Decimal("1"))}
    assert totals_add({key: TotalChange(Decimal("1.000001"), Decimal("0"), Decimal("10"))}) == {}
    assert BudgetTotal.objects.get().spent == Decimal("8")
    assert totals_add({key: TotalChange(Decimal("2"), Decimal("-1"), Decimal("10"))}) == {
        key: (Decimal("10"), Decimal("0"))}
    assert totals_add({key: TotalChange(Decimal("5"), Decimal("0"), None)}) == {key: (Decimal("15"), Decimal("0"))}


@pytest.mark.django_db
def test_holds_lock_running_totals_in_the_order_the_ledger_write_does():
    # Opposite lock orders between a hold and a ledger write would deadlock: both sort by code point
    # ("Zonos" before "azure-tts"), which is PostgreSQL's "C" collation and SQLite's default.
    for provider in ("azure-tts", "Zonos"):
        pricing.price_set(provider_name=provider, data={"provider_type": "TTS",
                                                         "cost_per_1k_characters": Decimal("0.01")})
    plan = [{"provider": p, "model": "", "characters": 1000} for p in ("azure-tts", "Zonos")]
    with CaptureQueriesContext(connection) as captured:
        holds.hold_place(job_id="k", plan=plan)
    if connection.vendor == "postgresql":  # SQLite has no row locks: a writer holds the whole database
        locking = next(q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"]
                       and "costs_budgettotal" in q["sql"])
        assert 'COLLATE "C"' in locking
    from costs.models import BudgetTotal as Total

    locked = list(Total.objects.filter(scope="provider").order_by(*_lock_order()).values_list("key", flat=True))
    assert locked == sorted(locked) == ["Zonos", "azure-tts"]


def _lock_order():
    from django.db.models.functions import Collate

    if connection.vendor == "postgresql":
        return ["period_start", Collate("scope", "C"), Collate("key", "C")]
    return ["period_start", "scope", "key"]
