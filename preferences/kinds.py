"""The registry of preference kinds: one entry per kind drives its API, export, import and admin."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from pydantic import Field, create_model
from pydantic.alias_generators import to_camel

from aura_site.pagination import Mapped
from aura_site.schemas import CamelInSchema, CamelSchema

from .models import (
    AIBehaviorSettings,
    ContentFilteringPolicy,
    CustomAudienceProfile,
    CustomPromptTemplate,
    CustomQualityThresholds,
    CustomVisualStyle,
    Preference,
)

# Fields the server sets; they are shown but never taken from a request.
SERVER_FIELDS = ("id", "created_at", "updated_at", "is_preset", "success_count", "failure_count")


def _python_type(field: models.Field) -> Any:
    if field.choices:
        return Literal[tuple(value for value, _ in field.choices)]
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    if isinstance(field, models.FloatField):
        return float
    if isinstance(field, models.JSONField):
        return list[str]
    if isinstance(field, models.UUIDField):
        return str
    if isinstance(field, models.DateTimeField):
        return Any
    return str


def _bounds(field: models.Field) -> dict[str, Any]:
    """The field's limits (length, the model's and the column's min/max) as schema constraints."""
    bounds: dict[str, Any] = {}
    if isinstance(field, models.CharField | models.TextField) and field.max_length and not field.choices:
        bounds["max_length"] = field.max_length
    if isinstance(field, models.IntegerField | models.FloatField):
        for validator in field.validators:
            if isinstance(validator, MinValueValidator):
                bounds["ge"] = max(bounds.get("ge", validator.limit_value), validator.limit_value)
            elif isinstance(validator, MaxValueValidator):
                bounds["le"] = min(bounds.get("le", validator.limit_value), validator.limit_value)
    return bounds


# Full-object PUT: what GET returned may be sent back; server-set fields are accepted and ignored.
def _server_field_type(field: models.Field) -> Any:
    return _python_type(field) if not isinstance(field, models.DateTimeField) else str


@dataclass(frozen=True)
class Kind:
    """One kind of preference as the API, export, import and pages see it."""

    slug: str  # URL segment: "audience-profiles"
    key: str  # export key: "audienceProfiles"
    model: type[Preference]
    title: str

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @cached_property
    def fields(self) -> list[models.Field]:
        return [f for f in self.model._meta.concrete_fields]

    @cached_property
    def input_fields(self) -> list[models.Field]:
        return [f for f in self.fields if f.name not in SERVER_FIELDS]

    @cached_property
    def field_by_camel(self) -> dict[str, models.Field]:
        return {to_camel(f.name): f for f in self.fields}

    @cached_property
    def input_camels(self) -> frozenset[str]:
        return frozenset(to_camel(f.name) for f in self.input_fields)

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    @cached_property
    def create_schema(self) -> type[CamelInSchema]:
        definitions: dict[str, Any] = {}
        for f in self.input_fields:
            if f.name == "name":
                definitions[f.name] = (str, Field(..., min_length=1, max_length=200))
            elif f.has_default():
                default = f.get_default()
                definitions[f.name] = (_python_type(f), Field(default=default, **_bounds(f)))
            else:
                definitions[f.name] = (_python_type(f), Field(..., **_bounds(f)))
        return create_model(
            f"{self.model.__name__}In",
            __base__=CamelInSchema,
            **definitions,
        )

    @cached_property
    def update_schema(self) -> type[CamelInSchema]:
        definitions: dict[str, Any] = {
            f.name: (_python_type(f) | None, Field(default=None, **_bounds(f))) for f in self.input_fields}
        for f in self.fields:
            if f.name in SERVER_FIELDS:
                definitions[f.name] = (_server_field_type(f) | None, Field(
                    default=None, description="Set by the server: ignored (a different id is refused)."))
        return create_model(f"{self.model.__name__}Patch", __base__=CamelInSchema, **definitions)

    @cached_property
    def out_schema(self) -> type[CamelSchema]:
        definitions: dict[str, Any] = {}
        for f in self.fields:
            if f.name == "id":
                definitions[f.name] = (uuid.UUID, ...)
            elif isinstance(f, models.DateTimeField):
                definitions[f.name] = (datetime.datetime, ...)
            else:
                definitions[f.name] = (_python_type(f), ...)
        return create_model(f"{self.model.__name__}Out", __base__=CamelSchema, **definitions)

    def to_wire(self, obj: Preference) -> dict[str, Any]:
        """Every field of one item, camelCase, JSON-ready (the API's and the export's format)."""
        return self.out_schema.model_validate(obj, from_attributes=True).model_dump(mode="json", by_alias=True)

    @cached_property
    def wire_columns(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The out schema's fields in its order: (model field names, their camelCase keys)."""
        fields = self.out_schema.model_fields
        return tuple(fields), tuple(field.alias or name for name, field in fields.items())

    def wire_rows(self, queryset: models.QuerySet) -> Mapped:
        """The queryset's items as the out schema shows them, read with `values_list` (no model instance).

        Each item is a dict of the schema's camelCase keys, in its order, holding the values as the database
        returns them (UUIDs and datetimes as Python objects, for a JSON encoder to write). Slice it for a page,
        iterate it for every item; either is one query.
        """
        names, keys = self.wire_columns
        return Mapped(queryset.values_list(*names), lambda row: dict(zip(keys, row, strict=True)))

    def camel(self, field_name: str) -> str:
        return to_camel(field_name)


KINDS: list[Kind] = [
    Kind("audience-profiles", "audienceProfiles", CustomAudienceProfile, "Audience profiles"),
    Kind("filtering-policies", "filteringPolicies", ContentFilteringPolicy, "Filtering policies"),
    Kind("ai-behavior", "aiBehaviorSettings", AIBehaviorSettings, "AI behavior"),
    Kind("prompt-templates", "promptTemplates", CustomPromptTemplate, "Prompt templates"),
    Kind("quality-thresholds", "qualityThresholds", CustomQualityThresholds, "Quality thresholds"),
    Kind("visual-styles", "visualStyles", CustomVisualStyle, "Visual styles"),
]
KINDS_BY_SLUG = {k.slug: k for k in KINDS}
KINDS_BY_KEY = {k.key: k for k in KINDS}
