"""Bodies of the cost-tracking API (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, WithJsonSchema

from aura_site.schemas import MONEY_COLUMN_MAX, Amount, CamelInSchema, CamelSchema, money_type
from aura_site.supported_dates import SupportedDate, SupportedDateTime

from .analytics_schemas import ForecastOut

Money = Amount
Seconds = Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=12, decimal_places=3),
                    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 10_000_000})]
ProviderName = Annotated[str, Field(min_length=1, max_length=100)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3, pattern="^[A-Za-z]{3}$")]


class ConfigurationIn(CamelInSchema):
    user_id: str | None = None
    overall_monthly_budget: money_type(le=MONEY_COLUMN_MAX) | None = None
    period_type: Literal["Monthly", "Weekly", "Custom"] | None = None
    custom_start: SupportedDate | None = None
    custom_end: SupportedDate | None = None
    currency: CurrencyCode | None = None
    alert_thresholds: list[Annotated[int, Field(ge=1, le=100)]] | None = Field(default=None, max_length=20)
    email_notifications_enabled: bool | None = None
    notification_email: str | None = Field(default=None, max_length=254)
    alert_frequency: Literal["Once", "Daily", "EveryTime"] | None = None
    provider_budgets: dict[ProviderName, money_type(le=MONEY_COLUMN_MAX)] | None = Field(default=None, max_length=100)
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


PriceValue = Money | None


class PriceIn(CamelInSchema):
    provider_name: str | None = Field(default=None, max_length=100)
    model_id: str | None = Field(default=None, max_length=200)
    provider_type: Literal["LLM", "TTS", "Image", "Video", "Rendering"] = "LLM"
    cost_per_1k_input_tokens: PriceValue = Field(default=None, alias="costPer1KInputTokens")
    cost_per_1k_output_tokens: PriceValue = Field(default=None, alias="costPer1KOutputTokens")
    cost_per_1k_cached_input_tokens: PriceValue = Field(default=None, alias="costPer1KCachedInputTokens",
                                                        description="null: not given (0 for a new price)")
    cost_per_1k_characters: PriceValue = Field(default=None, alias="costPer1KCharacters")
    cost_per_image: PriceValue = Field(default=None)
    cost_per_second: PriceValue = Field(default=None)
    currency: CurrencyCode | None = Field(default=None, description="Must be the budget's (the default).")
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
    seconds: Seconds = Decimal(0)
    cache_hit: bool = False
    cost: Money | None = None
    currency: CurrencyCode | None = Field(default=None, description="The cost's currency; must be the budget's.")
    timestamp: SupportedDateTime | None = None


class OperationBatchIn(CamelInSchema):
    operations: list[OperationIn] = Field(min_length=1, max_length=1000)


def _operation_shape(value: Any) -> str:
    return "shape[batch]" if isinstance(value, dict) and "operations" in value else "shape[operation]"


# One operation or a batch: a body with `operations` is read as a batch only, so its errors name the body's
# own fields (`cost`, `operations[0].cost`) and not the other shape's. The tags are left out of field paths.
OperationsIn = Annotated[
    Annotated[OperationIn, Tag("shape[operation]")] | Annotated[OperationBatchIn, Tag("shape[batch]")],
    Discriminator(_operation_shape),
]


class OperationOut(CamelSchema):
    idempotency_key: str
    job_id: str
    project_id: str
    stage: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    characters: int
    images: int
    seconds: float
    cache_hit: bool
    cost: float
    cost_saved: float
    cost_source: str
    overrun: bool  # cost more than its call had reserved; recorded all the same
    estimated: bool  # tokens counted by us: the provider reported no usage
    timestamp: dt.datetime


class OperationPageOut(CamelSchema):
    items: list[OperationOut]
    count: int


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
    seconds: Seconds = Decimal(0)


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
    amount: Money | None = None
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
    budget_limit: Money
    desired_quality: Literal["draft", "standard", "premium"] = "standard"
    deadline_minutes: int | None = Field(default=None, ge=1, le=100_000)


class BudgetFiguresOut(CamelSchema):
    spent: float
    held: float
    budget: float | None
    available: float | None
    percentage_used: float | None


class ProviderFiguresOut(BudgetFiguresOut):
    provider: str


class ProjectFiguresOut(BudgetFiguresOut):
    project_id: str


class CurrentPeriodOut(CamelSchema):
    total_cost: float
    currency: str
    period_type: str
    budget: float | None
    percentage_used: float | None
    period_start: dt.datetime | None
    period_end: dt.datetime | None
    held: float
    available: float | None
    hard_budget_limit: bool
    alert_thresholds: list[int]
    providers: list[ProviderFiguresOut]
    projects: list[ProjectFiguresOut]
    forecast: ForecastOut | None = Field(default=None, description="The pace of spending and where it leads.")


class BreakdownOut(CamelSchema):
    cost: float
    percentage_of_total: float


class TokenStatsOut(CamelSchema):
    total_tokens: int
    input_tokens: int
    output_tokens: int
    operation_count: int
    cache_hits: int
    cache_hit_rate: float
    cost_saved_by_cache: float


class SuggestionOut(CamelSchema):
    category: str
    suggestion: str
    estimated_savings: float
    quality_impact: str
    difficulty: str


class RunSummaryOut(CamelSchema):
    job_id: str
    total_cost: float
    currency: str
    cost_by_stage: dict[str, BreakdownOut]
    cost_by_provider: dict[str, BreakdownOut]
    token_stats: TokenStatsOut
    operations: list[OperationOut] = Field(description="The run's first operations; all of them: operationsHref.")
    operations_href: str = Field(description="The paged list of every operation of the run.")
    optimization_suggestions: list[SuggestionOut]


class RecommendedSettingsOut(CamelSchema):
    llm_provider: str | None
    tts_provider: str | None
    enable_caching: bool
    max_tokens_per_operation: int | None


class OptimizeOut(CamelSchema):
    estimated_cost_before: float
    estimated_cost_after: float
    estimated_savings: float
    budget_limit: float
    fits_budget: bool
    runs_analyzed: int
    recommended_settings: RecommendedSettingsOut
    changes: list[str]
    quality_impact: str
    pinned_stages: list[str]
    savings_forgone_by_pins: float
    deadline_minutes: int | None
