"""The one way work is queued: a task by its registered name, now or once the transaction commits."""

from __future__ import annotations

import pytest
from celery.exceptions import NotRegistered

from aura_site.broker import enqueue, registered
from costs.models import ExportJob


@pytest.mark.django_db
def test_a_task_is_found_by_its_name_and_run_with_its_arguments():
    assert registered("costs.tasks.check_forecast_alerts").name == "costs.tasks.check_forecast_alerts"
    assert enqueue("costs.tasks.check_forecast_alerts").get() == {"alerts": 0}
    answer = enqueue("costs.tasks.write_export", "00000000-0000-0000-0000-000000000000").get()
    assert answer == {"exportId": "00000000-0000-0000-0000-000000000000", "state": "MISSING", "rows": 0}


def test_a_name_no_app_registers_is_refused():
    with pytest.raises(NotRegistered):
        enqueue("costs.tasks.no_such_task")


@pytest.mark.django_db
def test_on_commit_sends_nothing_until_the_transaction_commits(django_capture_on_commit_callbacks):
    export = ExportJob.objects.create(job_id="all", format="csv")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert enqueue("costs.tasks.write_export", str(export.pk), on_commit=True) is None
    assert len(callbacks) == 1 and ExportJob.objects.get(pk=export.pk).state == ExportJob.State.PENDING
    callbacks[0]()  # the commit: the task runs (eagerly here) and writes the export
    assert ExportJob.objects.get(pk=export.pk).state == ExportJob.State.SUCCESS
