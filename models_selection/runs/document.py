"""A run's frozen effective preferences, read through typed objects built from the preference kinds' registry.

The document stays JSON on the job (camelCase, as the API shows it); code reads it as `RunPreferences`:
`prefs.audience_profile.values.reading_level`, `prefs.ai_behavior["script"].values.max_tokens`. Each kind's
settings become one frozen model whose fields are the kind's own (preferences.kinds), so a renamed or
removed setting fails here, not as a missing string key deep in a prompt.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import models
from pydantic import BaseModel, ConfigDict, create_model
from pydantic.alias_generators import to_camel, to_snake

from preferences.kinds import KINDS_BY_KEY

from .choices import RUN_CHOICES

# An item's own fields that are not settings (never frozen in a run's document).
NOT_SETTINGS = frozenset({"name", "description", "tags", "is_favorite", "is_default"})


class Frozen(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


def _python_type(field: models.Field) -> Any:
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, models.IntegerField):
        return int
    if isinstance(field, models.FloatField):
        return float
    if isinstance(field, models.JSONField):
        return list[Any]
    return str


@cache
def values_model(kind_key: str) -> type[Frozen]:
    """The settings of one kind as frozen in a run (missing ones read as the kind's defaults)."""
    kind = KINDS_BY_KEY[kind_key]
    fields = {
        f.name: (_python_type(f) | None, f.get_default() if f.has_default() else None)
        for f in kind.input_fields if f.name not in NOT_SETTINGS
    }
    return create_model(f"{kind.model.__name__}Values", __base__=Frozen, **fields)


@cache
def entry_model(kind_key: str) -> type[Frozen]:
    """One frozen entry: the item's id and name (None and "System defaults" without one), source, values."""
    values = values_model(kind_key)
    return create_model(f"{values.__name__[:-len('Values')]}Entry", __base__=Frozen, id=(str | None, None),
                        name=(str, ""), source=(str, ""), values=(values, values()))


@cache
def document_model() -> type[Frozen]:
    fields: dict[str, Any] = {}
    for choice in RUN_CHOICES:
        entry = entry_model(choice.kind)
        fields[choice.name] = (dict[str, entry], {}) if choice.per_stage else (entry, entry())
    fields = {_snake(name): spec for name, spec in fields.items()}
    return create_model("RunPreferences", __base__=Frozen, content_hash=(str, ""), **fields)


def _snake(name: str) -> str:
    return to_snake(name)


def run_preferences(document: Any) -> Any:
    """The run's frozen document (a dict as stored on the job) as typed objects; typed objects pass through."""
    model = document_model()
    return document if isinstance(document, model) else model.model_validate(document or {})
