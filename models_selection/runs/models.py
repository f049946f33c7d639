"""One executed stage of a run: what was sent, to which model, what came back, what it cost."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class StageStatus(models.TextChoices):
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    REFUSED = "Refused"  # by the budget, before the call was sent
    BLOCKED = "Blocked"  # its pinned model became unavailable


class StageRun(models.Model):
    """A stage of a job as executed (`stage` may also be "quality", the refinement model's scoring)."""

    job = models.ForeignKey("models_selection.Job", on_delete=models.CASCADE, related_name="stage_runs")
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
        ordering = ["job", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "stage"], name="stage_run_one_per_stage")]

    def __str__(self) -> str:
        return f"{self.job_id} {self.stage}: {self.status}"
