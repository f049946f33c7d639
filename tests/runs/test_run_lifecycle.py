"""Runs whose worker went silent: sent again by the sweeper, or Failed with the reason and the hold settled."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from costs.models import BudgetTotal, CostOperation, Hold
from models_selection.runs import integrations
from models_selection.runs.lifecycle import QUEUED_RESEND_AFTER, run_start, run_work
from models_selection.runs.models import Job, StageRun

pytestmark = pytest.mark.django_db
BRIEF = "Why the sky is blue, for curious ten-year-olds"


def _sweep() -> dict:
    out = StringIO()
    call_command("sweep_tasks", stdout=out)
    return json.loads(out.getvalue())["runs"]


def _queued(owner_api, *, since: dt.timedelta, attempts: int = 1) -> Job:
    """A planned run, started, whose message no worker took for `since`."""
    job_id = owner_api.post("/api/jobs", {"brief": BRIEF}).json()["jobId"]
    run_start(job_id=job_id, enqueue=False)
    Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now() - since, attempts=attempts)
    return Job.objects.get(pk=job_id)


def _silent_mid_run(owner_api, settings, *, attempts: int) -> tuple[Job, Decimal]:
    """A run whose worker recorded the script call, started the visual stage, and then went silent."""
    job = _queued(owner_api, since=dt.timedelta(0), attempts=attempts)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.AURA_TASK_STALE_AFTER + 60)
    cost = Decimal("0.012345")
    integrations.cost_operation_record(operation={
        "idempotency_key": f"{job.id}:script:1", "job_id": job.id, "project_id": "", "stage": "script",
        "provider": "OpenAI", "model": "fake-gpt", "input_tokens": 900, "output_tokens": 1000, "cost": cost})
    StageRun.objects.create(job=job, stage="script", position=0, status="Succeeded", provider="OpenAI",
                            model_id="fake-gpt", output="A script.", cost=cost, attempts=1)
    StageRun.objects.create(job=job, stage="visual", position=1, status="Running", provider="Anthropic",
                            model_id="fake-claude", attempts=1, started_at=long_ago)
    Job.objects.filter(pk=job.pk).update(status="Running", task_id="dead-task", started_at=long_ago,
                                         heartbeat_at=long_ago)
    return Job.objects.get(pk=job.pk), cost


def _assert_settled(job: Job, spent: Decimal) -> None:
    hold = Hold.objects.get(job_id=job.id)
    assert hold.released_at is not None and hold.remaining == Decimal("0")
    assert Decimal(str(job.outcome["settlement"]["used"])) == spent
    assert Decimal(str(job.outcome["settlement"]["released"])) == hold.amount - spent
    overall = BudgetTotal.objects.get(scope="overall", key="")
    assert (overall.spent, overall.held) == (spent, Decimal("0"))


def test_a_queued_run_no_worker_took_is_sent_again_and_runs(run_world, owner_api):
    job = _queued(owner_api, since=QUEUED_RESEND_AFTER + dt.timedelta(seconds=1))

    assert _sweep() == {"retried": 1, "failed": 0}

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("Succeeded", 2)
    assert CostOperation.objects.filter(job_id=job.id).count() == 5
    _assert_settled(job, sum(o.cost for o in CostOperation.objects.filter(job_id=job.id)))


def test_a_recently_queued_run_and_a_live_run_are_left_alone(run_world, owner_api):
    queued = _queued(owner_api, since=QUEUED_RESEND_AFTER - dt.timedelta(minutes=1))
    live = _queued(owner_api, since=dt.timedelta(0))
    Job.objects.filter(pk=live.pk).update(status="Running", task_id="live-task", heartbeat_at=timezone.now())

    assert _sweep() == {"retried": 0, "failed": 0}

    assert Job.objects.get(pk=queued.pk).status == "Queued"
    assert Job.objects.get(pk=live.pk).status == "Running"
    assert run_world.completions() == []


def test_a_running_run_whose_worker_went_silent_resumes_without_repeating_its_recorded_call(
    run_world, owner_api, settings
):
    job, script_cost = _silent_mid_run(owner_api, settings, attempts=1)

    assert _sweep() == {"retried": 1, "failed": 0}

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("Succeeded", 2)
    assert "fake-gpt" not in [r["body"]["model"] for r in run_world.completions()]  # the script was done
    assert CostOperation.objects.filter(job_id=job.id, stage="script").get().cost == script_cost


def test_after_the_last_attempt_a_silent_run_fails_with_the_reason_and_its_hold_settles_to_what_was_spent(
    run_world, owner_api, settings
):
    job, spent = _silent_mid_run(owner_api, settings, attempts=settings.AURA_TASK_MAX_ATTEMPTS)

    assert _sweep() == {"retried": 0, "failed": 1}

    job.refresh_from_db()
    assert job.status == "Failed" and job.finished_at is not None
    [reason] = job.outcome["reasons"]
    assert "worker stopped answering" in reason and f"after {settings.AURA_TASK_MAX_ATTEMPTS} attempts" in reason
    visual = StageRun.objects.get(job=job, stage="visual")
    assert (visual.status, visual.error) == ("Failed", reason) and visual.finished_at is not None
    assert StageRun.objects.get(job=job, stage="script").status == "Succeeded"
    _assert_settled(job, spent)
    assert run_world.completions() == []
    assert owner_api.get(f"/api/jobs/{job.id}").json()["status"] == "Failed"


def test_a_queued_run_past_the_last_attempt_fails_and_releases_its_whole_hold(run_world, owner_api, settings):
    job = _queued(owner_api, since=QUEUED_RESEND_AFTER + dt.timedelta(seconds=1),
                  attempts=settings.AURA_TASK_MAX_ATTEMPTS)

    assert _sweep() == {"retried": 0, "failed": 1}

    job.refresh_from_db()
    assert job.status == "Failed" and "no worker took it" in job.outcome["reasons"][0]
    _assert_settled(job, Decimal("0"))


def test_a_duplicate_message_leaves_a_live_run_alone_and_a_redelivered_one_takes_over(run_world, owner_api):
    job = _queued(owner_api, since=dt.timedelta(0))
    Job.objects.filter(pk=job.pk).update(status="Running", task_id="first-task", heartbeat_at=timezone.now())

    assert run_work(job_id=job.id, task_id="second-task").status == "Running"
    assert run_world.completions() == []

    resumed = run_work(job_id=job.id, task_id="first-task")  # the broker gave the message back
    assert (resumed.status, resumed.attempts) == ("Succeeded", 2)


def test_a_run_redelivered_past_the_last_attempt_fails_without_a_call(run_world, owner_api, settings):
    job = _queued(owner_api, since=dt.timedelta(0), attempts=settings.AURA_TASK_MAX_ATTEMPTS)
    Job.objects.filter(pk=job.pk).update(status="Running", task_id="lost-task", heartbeat_at=timezone.now())

    ended = run_work(job_id=job.id, task_id="lost-task")

    assert ended.status == "Failed" and "gave up" in ended.outcome["reasons"][0]
    assert run_world.completions() == []
    _assert_settled(ended, Decimal("0"))
