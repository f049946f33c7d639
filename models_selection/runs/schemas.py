"""Wire schemas of runs: the plan, decisions, effective preferences, stages, quality, artifacts, the runs list."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field, create_model

from aura_site.schemas import CamelInSchema, CamelSchema
from models_selection.schemas import OverrideIn, ResolutionOut
from preferences.schemas import ViolationOut  # a stage's review lists the filtering check's own violations

from .scoring import DIMENSIONS

DecisionName = Literal["apply-recommended", "retry", "use-global-defaults", "cancel"]


class PreferenceEntryOut(CamelSchema):
    id: str | None
    name: str
    source: str  # RunChoice, ActiveCustom, SelectedPreset or SystemDefault
    values: dict[str, Any]


class EffectivePreferencesOut(CamelSchema):
    audience_profile: PreferenceEntryOut
    filtering_policy: PreferenceEntryOut
    quality_thresholds: PreferenceEntryOut
    visual_style: PreferenceEntryOut
    ai_behavior: dict[str, PreferenceEntryOut]
    prompt_templates: dict[str, PreferenceEntryOut]
    content_hash: str


class ReviewOut(CamelSchema):
    allowed: bool
    message: str = ""
    violations: list[ViolationOut] = []


class StageRunOut(CamelSchema):
    stage: str
    status: str
    provider: str
    model_id: str
    source: str
    attempts: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    cost: float
    latency_ms: int | None
    http_status: int | None
    error: str
    review: ReviewOut | None
    started_at: datetime | None
    finished_at: datetime | None


# One score per quality dimension (scriptQuality, brandCompliance, engagement).
ScoresOut = create_model("ScoresOut", __base__=CamelSchema, **{d.out: (float, ...) for d in DIMENSIONS})


class ReadingLevelOut(CamelSchema):
    grade: float
    target: int
    within_range: bool


class QualityOut(CamelSchema):
    status: str  # "scored" or "unavailable"
    scores: ScoresOut | None = None
    weighted_total: float | None = None
    reading_level: ReadingLevelOut | None = None
    reasons: list[str] = []


class SettlementOut(CamelSchema):
    used: float
    released: float


class VisualPromptOut(CamelSchema):
    scene: int
    prompt: str


class ArtifactsOut(CamelSchema):
    job_id: str
    status: str
    script: str
    refined_script: str
    visual_prompts: list[VisualPromptOut]
    narration: str
    markdown: str
    correlation_id: str


class RunListItemOut(CamelSchema):
    """One run in `GET /api/jobs` (its own name: the OpenAPI schema has one entry per name)."""

    job_id: str
    status: str
    brief: str
    total_cost: float
    weighted_total: float | None
    created_at: datetime
    finished_at: datetime | None


class RunListOut(CamelSchema):
    items: list[RunListItemOut]
    count: int


class RunListQuery(CamelSchema):
    limit: int = Field(default=20, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000)
    status: str | None = Field(default=None, max_length=12)


class PriceSnapshotOut(CamelSchema):
    """The price a run pays for one model, as frozen when it was planned."""

    provider_name: str
    model_id: str
    provider_type: str
    cost_per_1k_input_tokens: str | None
    cost_per_1k_output_tokens: str | None
    cost_per_1k_cached_input_tokens: str | None
    currency: str


class JobIn(CamelInSchema):
    brief: str = Field(min_length=1, max_length=20_000)
    model_overrides: dict[str, OverrideIn] = {}
    project_id: str | None = Field(default=None, max_length=100)
    allow_auto_fallback: bool = False
    # Per-run preference choices (else: active custom item, selected preset, system defaults).
    audience_profile_id: UUID | None = None
    filtering_policy_id: UUID | None = None
    quality_thresholds_id: UUID | None = None
    visual_style_id: UUID | None = None
    ai_behavior_ids: dict[str, UUID] = Field(default={}, max_length=4)
    prompt_template_ids: dict[str, UUID] = Field(default={}, max_length=4)
    start: bool = False


class OptionOut(CamelSchema):
    option: str
    description: str


class JobOut(CamelSchema):
    job_id: str
    status: str
    brief: str
    project_id: str | None
    allow_auto_fallback: bool
    resolutions: list[ResolutionOut]
    blocked: bool
    created_at: datetime
    correlation_id: str
    effective_preferences: EffectivePreferencesOut | None = None
    price_snapshot: dict[str, PriceSnapshotOut | None] = {}
    stages: list[StageRunOut] = []
    total_cost: float = 0.0
    reasons: list[str] = []
    quality: QualityOut | None = None
    hold_settlement: SettlementOut | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class BlockedJobOut(JobOut):
    detail: str
    errors: list[dict] = []
    blocked_stages: list[ResolutionOut]
    options: list[OptionOut]


class ChoiceIn(CamelInSchema):
    provider: str = Field(min_length=1, max_length=50)
    model_id: str = Field(min_length=1, max_length=120)


class DecisionIn(CamelInSchema):
    decision: DecisionName
    choices: dict[str, ChoiceIn] = {}
