"""Runs (jobs): the brief and plan of a run, the decisions taken on it, and its executed stages."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models


def new_job_id() -> str:
    return f"job-{uuid.uuid4().hex}"


class JobStatus(models.TextChoices):
    PLANNED = "Planned"
    BLOCKED = "Blocked"
    CANCELLED = "Cancelled"
    QUEUED = "Queued"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    NEEDS_REVIEW = "NeedsReview"
    FAILED = "Failed"


FINAL_JOB_STATUSES = frozenset({JobStatus.CANCELLED, JobStatus.SUCCEEDED, JobStatus.NEEDS_REVIEW, JobStatus.FAILED})


class Job(models.Model):
    """A video generation run: its brief, run overrides and the resolved plan."""

    id = models.CharField(primary_key=True, max_length=64, default=new_job_id, editable=False)
    brief = models.TextField()
    project_id = models.CharField(max_length=100, blank=True)
    model_overrides = models.JSONField(default=dict, blank=True)
    allow_auto_fallback = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=JobStatus.choices)
    resolutions = models.JSONField(default=list, blank=True)
    # Frozen when the run is planned (models_selection.runs.planning): what it applies and the prices it pays.
    effective_preferences = models.JSONField(default=dict, blank=True)
    price_snapshot = models.JSONField(default=dict, blank=True)
    # Filled as it executes: outcome (reasons, quality, hold settlement) and the artifacts.
    outcome = models.JSONField(default=dict, blank=True)
    artifacts = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Its task (models_selection.runs.lifecycle): how many times it was handed to the workers, the task
    # working on it, and the last sign of life (stamped when sent and while a worker runs it).
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=255, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        db_table = "models_selection_job"  # the table predates the runs app
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class JobDecision(models.Model):
    """What a user decided about a blocked run, and the outcome."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=30)
    choices = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=12, choices=JobStatus.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(auto_now_add=True)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        db_table = "models_selection_jobdecision"
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.decision}"


class StageStatus(models.TextChoices):
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    REFUSED = "Refused"  # by the budget, before the call was sent
    BLOCKED = "Blocked"  # its pinned model became unavailable


class StageRun(models.Model):
    """A stage of a job as executed (`stage` may also be "quality", the refinement model's scoring)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="stage_runs")
    stage = models.CharField(max_length=20)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=StageStatus.choices, default=StageStatus.RUNNING)
    provider = models.CharField(max_length=50, blank=True)
    model_id = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The exact messages and sampling settings sent (never a key).
    request = models.JSONField(default=dict, blank=True)
    output = models.TextField(blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal("0"))
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    review = models.JSONField(default=dict, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "models_selection_stagerun"
        ordering = ["job", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "stage"], name="stage_run_one_per_stage")]

    def __str__(self) -> str:
        return f"{self.job_id} {self.stage}: {self.status}"
