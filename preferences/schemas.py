"""Request and response bodies of the preferences API (the per-kind ones are built in kinds.py)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any, Literal

from pydantic import Field

from aura_site.schemas import CamelInSchema, CamelSchema


class CloneIn(CamelInSchema):
    name: str | None = None


class CheckIn(CamelInSchema):
    text: str


class ViolationOut(CamelSchema):
    rule: str
    term: str
    start: int
    end: int


class CheckOut(CamelSchema):
    allowed: bool
    violations: list[ViolationOut]
    message: str


class RenderIn(CamelInSchema):
    variables: dict[str, Any]


class RenderOut(CamelSchema):
    text: str


class OutcomeIn(CamelInSchema):
    success: bool


class VariantOut(CamelSchema):
    id: uuid.UUID
    name: str
    success_count: int
    failure_count: int
    trials: int
    success_rate: float | None


class VariantGroupOut(CamelSchema):
    variant_group: str
    variants: list[VariantOut]
    best_variant_id: uuid.UUID | None


class ActiveItemOut(CamelSchema):
    id: uuid.UUID
    name: str


class ExportOut(CamelSchema):
    json_data: str
    export_date: datetime.datetime
    version: str


class ImportIn(CamelInSchema):
    json_data: str


class ImportItemOut(CamelSchema):
    kind: str
    name: str
    id: str
    action: Literal["create", "update", "remove", "skip"]
    reason: str | None = Field(default=None, description="Why an item was skipped (a read-only preset).")


class ImportOut(CamelSchema):
    mode: str
    dry_run: bool
    created: dict[str, int]
    updated: dict[str, int]
    removed: dict[str, int]
    skipped: dict[str, int] = Field(description="Items of the file matching a read-only preset: left as shipped.")
    items: list[ImportItemOut]
