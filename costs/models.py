"""Cost tracking: configuration, prices, the ledger, per-period running totals, holds, alerts, exports."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

MONEY = {"max_digits": 14, "decimal_places": 6}
ZERO = Decimal("0")


class PeriodType(models.TextChoices):
    MONTHLY = "Monthly"
    WEEKLY = "Weekly"
    CUSTOM = "Custom"


class AlertFrequency(models.TextChoices):
    ONCE = "Once"
    DAILY = "Daily"
    EVERY_TIME = "EveryTime"


class ProviderType(models.TextChoices):
    LLM = "LLM"
    TTS = "TTS"
    IMAGE = "Image"
    VIDEO = "Video"
    RENDERING = "Rendering"


class CostConfiguration(models.Model):
    """The budget settings (one row)."""

    user_id = models.CharField(max_length=100, default="default", unique=True)
    overall_monthly_budget = models.DecimalField(null=True, blank=True, **MONEY)
    period_type = models.CharField(max_length=10, choices=PeriodType.choices, default=PeriodType.MONTHLY)
    custom_start = models.DateField(null=True, blank=True)
    custom_end = models.DateField(null=True, blank=True, help_text="Last day of the period (inclusive).")
    currency = models.CharField(max_length=3, default="USD")
    alert_thresholds = models.JSONField(default=list)
    email_notifications_enabled = models.BooleanField(default=False)
    notification_email = models.EmailField(blank=True, default="")
    alert_frequency = models.CharField(max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.ONCE)
    provider_budgets = models.JSONField(default=dict, blank=True)
    hard_budget_limit = models.BooleanField(default=False)
    enable_project_tracking = models.BooleanField(default=False)
    forecast_alerts_enabled = models.BooleanField(
        default=False, help_text="Alert once per period when a budget will be reached before the period ends.")
    updated_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "cost configuration"

    def __str__(self) -> str:
        return f"Cost configuration ({self.user_id})"


class Price(models.Model):
    """A provider's price (model_id "") or one model's price, which overrides its provider's row."""

    provider_name = models.CharField(max_length=100)
    model_id = models.CharField(max_length=200, blank=True, default="")
    provider_type = models.CharField(max_length=10, choices=ProviderType.choices, default=ProviderType.LLM)
    cost_per_1k_input_tokens = models.DecimalField(null=True, blank=True, **MONEY)
    cost_per_1k_output_tokens = models.DecimalField(null=True, blank=True, **MONEY)
    cost_per_1k_cached_input_tokens = models.DecimalField(
        default=ZERO, help_text="What a cache hit costs per 1K input tokens (0: served by our cache).", **MONEY
    )
    cost_per_1k_characters = models.DecimalField(null=True, blank=True, **MONEY)
    cost_per_image = models.DecimalField(null=True, blank=True, **MONEY)
    cost_per_second = models.DecimalField(null=True, blank=True, **MONEY)
    currency = models.CharField(max_length=3, default="USD")
    notes = models.CharField(max_length=500, blank=True, default="")
    source = models.CharField(max_length=200, default="manual")
    set_at = models.DateTimeField(default=timezone.now)
    set_by = models.CharField(max_length=150, blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["provider_name", "model_id"]
        constraints = [models.UniqueConstraint(fields=["provider_name", "model_id"], name="one_price_per_model")]

    def __str__(self) -> str:
        return f"{self.provider_name} {self.model_id or '(provider)'}"


class PriceChange(models.Model):
    """History of every price change: who, when, before and after."""

    provider_name = models.CharField(max_length=100)
    model_id = models.CharField(max_length=200, blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()
    changed_by = models.CharField(max_length=150, blank=True, default="")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.provider_name} {self.model_id} changed {self.changed_at:%Y-%m-%d %H:%M}"


class CostOperation(models.Model):
    """One ledger row: what one AI operation cost, with the price it was charged at."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    job_id = models.CharField(max_length=100, blank=True, default="", db_index=True)
    project_id = models.CharField(max_length=100, blank=True, default="")
    stage = models.CharField(max_length=50)
    provider = models.CharField(max_length=100)
    model = models.CharField(max_length=200, blank=True, default="")
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    characters = models.PositiveIntegerField(default=0)
    images = models.PositiveIntegerField(default=0)
    seconds = models.DecimalField(max_digits=12, decimal_places=3, default=ZERO)
    cache_hit = models.BooleanField(default=False)
    cost = models.DecimalField(**MONEY)
    cost_saved = models.DecimalField(default=ZERO, **MONEY)
    cost_source = models.CharField(max_length=10, help_text="'reported' by the client or 'priced' by us.")
    # A run's call that cost more than it had reserved: recorded at what the provider reported all the same
    # (the money was spent), even past a hard budget, with an alert.
    overrun = models.BooleanField(default=False, db_default=False)
    # Its tokens were counted by us because the provider's answer reported no usage.
    estimated = models.BooleanField(default=False, db_default=False)
    price_snapshot = models.JSONField(null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    # Who spent it: the signed-in user (or a run's creator) and, for REST clients, the token used.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    api_token = models.ForeignKey("aura_site.ApiToken", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["timestamp", "id"]
        indexes = [models.Index(fields=["provider", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.model} {self.cost}"


class BudgetTotal(models.Model):
    """Running totals of one period for one scope (overall, a provider, a project): O(1) budget checks."""

    OVERALL, PROVIDER, PROJECT = "overall", "provider", "project"

    period_start = models.DateTimeField()
    scope = models.CharField(max_length=10)
    key = models.CharField(max_length=200, blank=True, default="")
    spent = models.DecimalField(default=ZERO, **MONEY)
    held = models.DecimalField(default=ZERO, **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["period_start", "scope", "key"], name="one_total_per_scope")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} from {self.period_start:%Y-%m-%d}: {self.spent} spent, {self.held} held"


class Hold(models.Model):
    """Money reserved for a planned run; its operations draw it down, release returns the rest."""

    job_id = models.CharField(max_length=100, unique=True)
    period_start = models.DateTimeField()
    amount = models.DecimalField(**MONEY)
    remaining = models.DecimalField(**MONEY)
    provider_remaining = models.JSONField(default=dict, blank=True)
    project_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Hold {self.job_id}: {self.remaining}/{self.amount}"


class Alert(models.Model):
    """A budget threshold crossed; `dedupe_key` makes "once per period" / "once a day" hold."""

    dedupe_key = models.CharField(max_length=300, unique=True)
    period_start = models.DateTimeField()
    scope = models.CharField(max_length=10)
    key = models.CharField(max_length=200, blank=True, default="")
    threshold = models.PositiveSmallIntegerField()
    spent = models.DecimalField(**MONEY)
    budget = models.DecimalField(**MONEY)
    message = models.CharField(max_length=500)
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True, default="")
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return self.message


class ExportJob(models.Model):
    """A cost export being written by a task, and where to download it once done."""

    class State(models.TextChoices):
        PENDING = "PENDING"
        STARTED = "STARTED"
        SUCCESS = "SUCCESS"
        FAILURE = "FAILURE"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job_id = models.CharField(max_length=100)
    format = models.CharField(max_length=4)
    date_from = models.DateTimeField(null=True, blank=True)
    date_to = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    rows = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The task lifecycle (see costs/export_lifecycle.py): who runs it, since when, last sign of life.
    task_id = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Export {self.id} of {self.job_id} ({self.state})"

    @property
    def path(self):
        return settings.AURA_EXPORT_DIR / f"{self.id}.{self.format}"


class CostRollup(models.Model):
    """Daily spend of one provider × model × stage × project × user, in the configured time zone.

    Maintained in the same transaction as the ledger insert, so analytics never scan the ledger. Money
    is kept in integer millionths (the ledger's precision): sums stay exact on every database.
    """

    day = models.DateField()
    provider = models.CharField(max_length=100)
    model = models.CharField(max_length=200, blank=True, default="")
    stage = models.CharField(max_length=50)
    project_id = models.CharField(max_length=100, blank=True, default="")
    user_key = models.BigIntegerField(default=0, help_text="The user's id; 0: no user recorded.")
    cost_micros = models.BigIntegerField(default=0)
    saved_micros = models.BigIntegerField(default=0)
    operations = models.BigIntegerField(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["day", "provider", "model", "stage", "project_id", "user_key"], name="one_rollup_per_day_key")]
        indexes = [models.Index(fields=["provider", "day"]), models.Index(fields=["project_id", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.provider} {self.model} {self.stage}: {self.cost_micros / 1_000_000}"


class Webhook(models.Model):
    """Where alerts are POSTed, signed with the webhook's secret (kept encrypted, never shown again)."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=2000)
    secret_encrypted = models.TextField(editable=False)
    slack_format = models.BooleanField(default=False, help_text="Send Slack-compatible JSON ({\"text\": …}).")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One message to one webhook and how its attempts went (the delivery log)."""

    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(help_text="The exact bytes sent (UTF-8), which the signature covers.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["webhook", "alert"], name="one_delivery_per_alert")]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook} ({self.state})"
