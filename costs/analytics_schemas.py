"""Bodies of the spend analytics, forecast and webhook routes (camelCase on the wire)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field, field_validator

from aura_site.schemas import CamelInSchema, CamelSchema
from aura_site.supported_dates import SupportedDate, SupportedDateTime

Dimension = Literal["provider", "model", "stage", "project", "user"]


class RangeQuery(Schema):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    date_from: SupportedDate | None = Field(default=None, alias="from")
    date_to: SupportedDate | None = Field(default=None, alias="to")
    provider: str | None = Field(default=None, max_length=100)
    project: str | None = Field(default=None, max_length=100)
    user: int | None = Field(default=None, ge=1, le=2**31 - 1, description="A user's id.")
    limit: int = Field(default=10, ge=1, le=50, description="Series (or rows per dimension) shown; the rest are "
                                                            "summed as 'Other'.")


class SpendQuery(RangeQuery):
    group_by: Literal["day", "week", "month"] = Field(default="day", alias="groupBy")
    by: Dimension | None = None


class PointOut(CamelSchema):
    period: dt.date
    cost: float


class SeriesOut(CamelSchema):
    key: str
    label: str
    total: float
    share: float
    points: list[PointOut]


class SpendOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    group_by: str = Field(alias="groupBy")
    by: str | None
    currency: str
    periods: list[dt.date]
    series: list[SeriesOut]
    totals: list[PointOut]
    total: float


class BreakdownRowOut(CamelSchema):
    key: str
    label: str
    cost: float
    share: float = Field(description="Percentage of the range's total.")
    previous_cost: float
    change: float | None = Field(description="Percentage change against the previous range; null when nothing "
                                             "was spent then.")


class BreakdownsOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    previous_from: dt.date = Field(alias="previousFrom")
    previous_to: dt.date = Field(alias="previousTo")
    currency: str
    total: float
    previous_total: float = Field(alias="previousTotal")
    change: float | None
    provider: list[BreakdownRowOut]
    model: list[BreakdownRowOut]
    stage: list[BreakdownRowOut]
    project: list[BreakdownRowOut]
    user: list[BreakdownRowOut]


class ScopeForecastOut(CamelSchema):
    spent: float
    burn_rate_per_day: float
    projected_spend: float
    budget: float | None
    projected_percentage: float | None
    budget_reached_at: dt.datetime | None
    budget_reached_on: dt.date | None
    already_exceeded: bool
    will_exceed: bool


class ProviderForecastOut(ScopeForecastOut):
    provider: str


class ProjectForecastOut(ScopeForecastOut):
    project_id: str


class ForecastOut(CamelSchema):
    basis: str = Field(description="'last 7 days' or 'period so far'.")
    basis_start: dt.datetime
    period_start: dt.datetime
    period_end: dt.datetime
    currency: str
    overall: ScopeForecastOut
    providers: list[ProviderForecastOut]
    projects: list[ProjectForecastOut]


class WebhookIn(CamelInSchema):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=2000)
    secret: str = Field(min_length=8, max_length=200, description="Signs each body (HMAC-SHA256); write-only.")
    slack_format: bool = False
    enabled: bool = True

    @field_validator("name", "url", "secret")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class WebhookUpdateIn(WebhookIn):
    """Full or partial; server-set fields of a full object are accepted and ignored; no secret keeps it."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    secret: str | None = Field(default=None, min_length=8, max_length=200)
    slack_format: bool | None = None
    enabled: bool | None = None
    id: int | None = None
    has_secret: bool | None = None
    created_at: SupportedDateTime | None = None
    updated_at: SupportedDateTime | None = None


class WebhookOut(CamelSchema):
    id: int
    name: str
    url: str
    slack_format: bool
    enabled: bool
    has_secret: bool = True
    created_at: dt.datetime
    updated_at: dt.datetime


class DeliveryOut(CamelSchema):
    id: int
    webhook_id: int
    event: str
    state: str
    attempts: int
    status_code: int | None
    error: str
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
