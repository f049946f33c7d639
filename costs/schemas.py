"""Bodies of the cost-tracking API (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from aura_site.schemas import CamelInSchema, CamelSchema

Money = Decimal


class ConfigurationIn(CamelInSchema):
    user_id: str | None = None
    overall_monthly_budget: Money | None = Field(default=None, ge=0, max_digits=14, decimal_places=6)
    period_type: Literal["Monthly", "Weekly", "Custom"] | None = None
    custom_start: dt.date | None = None
    custom_end: dt.date | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    alert_thresholds: list[int] | None = Field(default=None, max_length=20)
    email_notifications_enabled: bool | None = None
    notification_email: str | None = Field(default=None, max_length=254)
    alert_frequency: Literal["Once", "Daily", "EveryTime"] | None = None
    provider_budgets: dict[str, Money] | None = Field(default=None, max_length=100)
    hard_budget_limit: bool | None = None
    enable_project_tracking: bool | None = None
    forecast_alerts_enabled: bool | None = None


class ConfigurationOut(CamelSchema):
    user_id: str
    overall_monthly_budget: float | None
    period_type: str
    custom_start: dt.date | None
    custom_end: dt.date | None
    currency: str
    alert_thresholds: list[int]
    email_notifications_enabled: bool
    notification_email: str
    alert_frequency: str
    provider_budgets: dict[str, float]
    hard_budget_limit: bool
    enable_project_tracking: bool
    forecast_alerts_enabled: bool
    updated_at: dt.datetime


PriceValue = Decimal | None


class PriceIn(CamelInSchema):
    provider_name: str | None = Field(default=None, max_length=100)
    model_id: str | None = Field(default=None, max_length=200)
    provider_type: Literal["LLM", "TTS", "Image", "Video", "Rendering"] = "LLM"
    cost_per_1k_input_tokens: PriceValue = Field(default=None, alias="costPer1KInputTokens", max_digits=14,
                                                 decimal_places=6)
    cost_per_1k_output_tokens: PriceValue = Field(default=None, alias="costPer1KOutputTokens", max_digits=14,
                                                  decimal_places=6)
    cost_per_1k_cached_input_tokens: PriceValue = Field(default=None, alias="costPer1KCachedInputTokens",
                                                        max_digits=14, decimal_places=6)
    cost_per_1k_characters: PriceValue = Field(default=None, alias="costPer1KCharacters", max_digits=14,
                                               decimal_places=6)
    cost_per_image: PriceValue = Field(default=None, max_digits=14, decimal_places=6)
    cost_per_second: PriceValue = Field(default=None, max_digits=14, decimal_places=6)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    notes: str = Field(default="", max_length=500)


class PriceOut(CamelSchema):
    provider_name: str
    model_id: str
    provider_type: str
    cost_per_1k_input_tokens: float | None = Field(alias="costPer1KInputTokens")
    cost_per_1k_output_tokens: float | None = Field(alias="costPer1KOutputTokens")
    cost_per_1k_cached_input_tokens: float | None = Field(alias="costPer1KCachedInputTokens")
    cost_per_1k_characters: float | None = Field(alias="costPer1KCharacters")
    cost_per_image: float | None
    cost_per_second: float | None
    currency: str
    notes: str
    source: str
    set_at: dt.datetime
    set_by: str


class OperationIn(CamelInSchema):
    idempotency_key: str = Field(min_length=1, max_length=200)
    job_id: str = Field(default="", max_length=100)
    project_id: str = Field(default="", max_length=100)
    stage: str = Field(min_length=1, max_length=50)
    provider: str = Field(min_length=1, max_length=100)
    model: str = Field(default="", max_length=200)
    input_tokens: int = Field(default=0, ge=0, le=2_000_000_000)
    output_tokens: int = Field(default=0, ge=0, le=2_000_000_000)
    characters: int = Field(default=0, ge=0, le=2_000_000_000)
    images: int = Field(default=0, ge=0, le=1_000_000)
    seconds: Decimal = Field(default=Decimal(0), ge=0, le=10_000_000, max_digits=12, decimal_places=3)
    cache_hit: bool = False
    cost: Decimal | None = Field(default=None, ge=0, le=100_000_000, max_digits=14, decimal_places=6)
    timestamp: dt.datetime | None = None

    @field_validator("idempotency_key", "job_id", "project_id", "stage", "provider", "model")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class OperationBatchIn(CamelInSchema):
    operations: list[OperationIn] = Field(min_length=1, max_length=1000)


class AlertOut(CamelSchema):
    id: int
    period_start: dt.datetime
    scope: str
    key: str
    threshold: int
    spent: float
    budget: float
    message: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str


class RecordOut(CamelSchema):
    accepted: list[dict[str, Any]]
    duplicates: list[str]
    warnings: list[str]
    alerts: list[AlertOut]
    total_cost: float


class PlanItemIn(CamelInSchema):
    provider: str = Field(min_length=1, max_length=100)
    model: str = Field(default="", max_length=200)
    stage: str = Field(default="", max_length=50)
    input_tokens: int = Field(default=0, ge=0, le=2_000_000_000, alias="inputTokens")
    max_tokens: int = Field(default=0, ge=0, le=2_000_000_000)
    output_tokens: int = Field(default=0, ge=0, le=2_000_000_000)
    characters: int = Field(default=0, ge=0, le=2_000_000_000)
    images: int = Field(default=0, ge=0, le=1_000_000)
    seconds: Decimal = Field(default=Decimal(0), ge=0, le=10_000_000)


class EstimateIn(CamelInSchema):
    operations: list[PlanItemIn] = Field(min_length=1, max_length=1000)


class EstimateOut(CamelSchema):
    estimated_cost: float
    currency: str
    items: list[dict[str, Any]]
    unpriced: list[dict[str, Any]]
    decision: Literal["allow", "warn", "block"]
    reasons: list[str]


class HoldIn(CamelInSchema):
    job_id: str = Field(min_length=1, max_length=100)
    amount: Decimal | None = Field(default=None, ge=0, le=100_000_000, max_digits=14, decimal_places=6)
    plan: list[PlanItemIn] | None = Field(default=None, max_length=1000)
    provider: str = Field(default="", max_length=100)
    project_id: str = Field(default="", max_length=100)


class HoldOut(CamelSchema):
    job_id: str
    amount: float
    remaining: float
    provider_remaining: dict[str, float]
    project_id: str
    period_start: dt.datetime
    created_at: dt.datetime
    released_at: dt.datetime | None


class ExportStartOut(CamelSchema):
    task_id: str


class ExportStatusOut(CamelSchema):
    task_id: str
    state: str
    download_url: str | None
    rows: int
    error: str


class OptimizeIn(CamelInSchema):
    budget_limit: Decimal = Field(ge=0, le=100_000_000)
    desired_quality: Literal["draft", "standard", "premium"] = "standard"
    deadline_minutes: int | None = Field(default=None, ge=1, le=100_000)
