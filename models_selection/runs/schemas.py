"""Wire schemas of executed runs: effective preferences, stages, quality, artifacts, the runs list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from aura_site.schemas import CamelSchema
from preferences.schemas import ViolationOut  # a stage's review lists the filtering check's own violations


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


class ScoresOut(CamelSchema):
    script_quality: float
    brand_compliance: float
    engagement: float


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
