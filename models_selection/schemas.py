"""Wire schemas of model selection (camelCase, as the guide shows them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from aura_site.schemas import CamelInSchema, CamelSchema

from . import providers
from .stages import STAGES

StageName = Literal[STAGES]
ScopeName = Literal["Global", "Stage", "Project"]
ProviderKindName = Literal[providers.kind_names()]  # the registered kinds (models_selection.providers)


class CatalogModelOut(CamelSchema):
    provider: str
    model_id: str
    max_tokens: int | None
    context_window: int | None
    aliases: list[str]
    is_deprecated: bool
    replacement: str | None
    is_retired: bool
    is_available: bool
    unavailable_reason: str | None
    stages: list[str]
    input_price_per_1k: Decimal | None = Field(alias="inputPricePer1K")
    output_price_per_1k: Decimal | None = Field(alias="outputPricePer1K")
    last_probe_latency_ms: int | None


class AvailableOut(CamelSchema):
    providers: dict[str, list[CatalogModelOut]]
    total_count: int
    correlation_id: str


class SelectionOut(CamelSchema):
    provider: str
    stage: str
    model_id: str
    scope: str
    is_pinned: bool
    set_by: str
    set_at: datetime
    reason: str


class ProjectSelectionOut(SelectionOut):
    project_id: str


class SelectionsOut(CamelSchema):
    global_defaults: list[SelectionOut]
    stage_selections: list[SelectionOut]
    project_selections: list[ProjectSelectionOut]
    allow_automatic_fallback: bool
    correlation_id: str


class SelectionIn(CamelInSchema):
    provider: str = Field(min_length=1, max_length=50)
    stage: str = Field(default="", max_length=20)
    model_id: str = Field(min_length=1, max_length=120)
    scope: ScopeName
    pin: bool = False
    reason: str = Field(default="", max_length=500)
    project_id: str | None = Field(default=None, max_length=100)
    allow_deprecated: bool = False


class SelectionSetOut(CamelSchema):
    applied: bool
    reason: str
    deprecation_warning: str | None
    correlation_id: str


class SelectionClearIn(CamelInSchema):
    provider: str | None = Field(default=None, max_length=50)
    stage: str | None = Field(default=None, max_length=20)
    scope: ScopeName | None = None
    project_id: str | None = Field(default=None, max_length=100)
    reason: str = Field(default="", max_length=500)


class SelectionClearOut(CamelSchema):
    success: bool
    message: str
    correlation_id: str


class SelectionChangeOut(CamelSchema):
    action: str
    scope: str
    stage: str
    project_id: str
    before: dict | None
    after: dict | None
    changed_by: str
    changed_at: datetime
    reason: str
    correlation_id: str


class SettingsIn(CamelInSchema):
    allow_automatic_fallback: bool


class SettingsOut(CamelSchema):
    allow_automatic_fallback: bool
    correlation_id: str


class AlternativeOut(CamelSchema):
    provider: str
    model_id: str


class AuditEntryOut(CamelSchema):
    id: int
    provider: str
    stage: str
    model_id: str
    source: str
    reasoning: str
    is_pinned: bool
    is_blocked: bool
    timestamp: datetime
    job_id: str | None
    correlation_id: str
    alternatives: list[AlternativeOut]


class OverrideIn(CamelInSchema):
    provider: str | None = Field(default=None, max_length=50)
    model_id: str = Field(min_length=1, max_length=120)
    pin: bool = False


class ResolveIn(CamelInSchema):
    model_overrides: dict[str, OverrideIn] = {}
    project_id: str | None = Field(default=None, max_length=100)
    allow_auto_fallback: bool = False
    stages: list[StageName] | None = None


class ResolutionOut(CamelSchema):
    stage: str
    provider: str
    model_id: str
    source: str
    reasoning: str
    is_pinned: bool
    is_blocked: bool
    alternatives: list[AlternativeOut]


class ResolveOut(CamelSchema):
    resolutions: list[ResolutionOut]
    blocked: bool
    correlation_id: str


class ProbeIn(CamelInSchema):
    provider: str = Field(min_length=1, max_length=50)
    model_id: str = Field(min_length=1, max_length=120)
    api_key: str | None = Field(default=None, max_length=500)


class ProbeOut(CamelSchema):
    provider: str
    model_id: str
    is_available: bool
    is_deprecated: bool
    context_window: int | None
    max_tokens: int | None
    latency_ms: int | None
    error_message: str | None
    tested_at: datetime | None
    correlation_id: str


class ExplainIn(CamelInSchema):
    stage: StageName
    provider: str = Field(min_length=1, max_length=50)
    model_id: str = Field(min_length=1, max_length=120)


class ExplainModelOut(CamelSchema):
    provider: str
    model_id: str
    input_price_per_1k: Decimal | None = Field(alias="inputPricePer1K")
    output_price_per_1k: Decimal | None = Field(alias="outputPricePer1K")
    context_window: int | None
    is_deprecated: bool
    replacement: str | None
    is_available: bool
    unavailable_reason: str | None
    last_probe_latency_ms: int | None


class ExplainOut(CamelSchema):
    stage: str
    chosen: ExplainModelOut
    recommended: ExplainModelOut | None
    verdict: str
    reasons: list[str]
    correlation_id: str


class ProviderOut(CamelSchema):
    name: str
    kind: str
    base_url: str
    enabled: bool
    needs_api_key: bool
    has_api_key: bool
    api_key_source: str | None
    is_usable: bool
    unusable_reason: str | None
    api_key_cleared: bool = Field(
        default=False, description="This request changed the base URL and removed the key saved for the old one."
    )
    notice: str | None = Field(default=None, description="What this change did to the stored key, if anything.")


class ProviderIn(CamelInSchema):
    base_url: str | None = Field(default=None, max_length=300)
    api_key: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None
    kind: ProviderKindName | None = None
