"""A run's call that was sent is recorded at what it cost, over its reservation or past a hard budget.

`operations_record` takes such a call with `reserved` (what its hold set aside for it): the ledger is the
truth, so the hard limit never refuses it; one that cost more than it reserved is flagged `overrun` and
raises an alert naming the call, the cost and the reservation.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from aura_site.errors import PaymentRequired
from costs import alerts, configuration, ledger
from costs.models import Alert, CostOperation


@pytest.fixture
def hard_budget(db):
    configuration.configuration_update(data={
        "overall_monthly_budget": D("10"), "provider_budgets": {}, "hard_budget_limit": True,
        "alert_thresholds": [], "alert_frequency": "Once", "enable_project_tracking": False})


def _call(key: str, cost: str, *, reserved: str | None, overrun: bool = False, estimated: bool = False,
          job_id: str | None = "job-7") -> dict:
    op = {"idempotency_key": key, "stage": "script", "provider": "OpenAI", "model": "gpt-4o", "job_id": job_id,
          "input_tokens": 100, "output_tokens": 50, "cost": D(cost), "overrun": overrun, "estimated": estimated}
    if reserved is not None:
        op["reserved"] = D(reserved)
    return op


def test_a_sent_call_past_a_hard_budget_is_recorded_where_a_reported_one_is_refused(hard_budget):
    with pytest.raises(PaymentRequired):
        ledger.operations_record(operations=[_call("api", "12", reserved=None)])
    assert not CostOperation.objects.filter(idempotency_key="api").exists()

    result = ledger.operations_record(operations=[_call("run", "12", reserved="12")])
    row = CostOperation.objects.get(idempotency_key="run")
    assert (len(result.accepted), result.duplicates, result.total_cost) == (1, [], D("12"))
    assert (row.cost, row.overrun, row.estimated) == (D("12"), False, False)


def test_an_overrun_is_flagged_and_raises_one_alert_naming_the_call_its_cost_and_its_reservation(hard_budget):
    result = ledger.operations_record(
        operations=[_call("run:script:1", "3", reserved="2", overrun=True, estimated=True)])
    row = CostOperation.objects.get(idempotency_key="run:script:1")
    assert (row.cost, row.overrun, row.estimated) == (D("3"), True, True)
    alert = Alert.objects.get(dedupe_key="overrun:run:script:1")
    assert (alert.scope, alert.key, alert.threshold) == ("job", "job-7", 150)  # 3 of 2 reserved: 150 %
    assert (alert.spent, alert.budget) == (D("3"), D("2"))
    assert alert.message == ("Overrun: the script call of job job-7 cost $3.00, more than the $2.00 it had "
                             "reserved; recorded at the provider's reported usage.")
    assert Alert.objects.count() == 1 and [a.dedupe_key for a in result.alerts] == ["overrun:run:script:1"]


def test_a_call_within_its_reservation_raises_no_overrun_alert(hard_budget):
    ledger.operations_record(operations=[_call("fits", "2", reserved="2")])
    assert not Alert.objects.filter(dedupe_key__startswith="overrun:").exists()


def test_an_overrun_with_nothing_reserved_or_without_a_job_keeps_its_alert_within_its_columns(hard_budget):
    ledger.operations_record(operations=[
        _call("free", "1", reserved="0", overrun=True, job_id=None),
        _call("huge", "9", reserved="0.000001", overrun=True),
    ])
    free = Alert.objects.get(dedupe_key="overrun:free")
    assert (free.key, free.threshold, free.budget) == ("", alerts.OVERRUN_SHARE_CAP, D("0"))
    assert "the script call of job - cost" in free.message
    assert Alert.objects.get(dedupe_key="overrun:huge").threshold == alerts.OVERRUN_SHARE_CAP


def test_an_overrun_alert_shows_sub_cent_amounts_in_the_budgets_currency(db):
    configuration.configuration_update(data={"currency": "EUR", "alert_thresholds": []})
    ledger.operations_record(operations=[_call("cents", "0.0031", reserved="0.0025", overrun=True)])
    alert = Alert.objects.get(dedupe_key="overrun:cents")
    assert "cost €0.0031, more than the €0.0025 it had reserved" in alert.message
    assert alert.threshold == 124  # 0.0031 of 0.0025: 124 %
