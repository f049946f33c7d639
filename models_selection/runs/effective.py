"""A run's effective preferences, resolved once when it is planned and frozen on the job.

Each kind comes from the guide's override hierarchy: an explicit choice for this run, else the active
custom item, else the selected preset, else the system defaults. AI behavior and prompt templates are
per stage: the active item applies to its own stage. The frozen document carries the ids, where each
came from, the values themselves and a content hash, so a run can be explained and repeated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from aura_site.errors import FieldError, ValidationFailed
from models_selection.stages import STAGES

from . import integrations
from .choices import RUN_CHOICES

RUN_CHOICE, ACTIVE_CUSTOM = "RunChoice", "ActiveCustom"
SELECTED_PRESET, SYSTEM_DEFAULT = "SelectedPreset", "SystemDefault"


SINGLE_KINDS = {c.name: c.kind for c in RUN_CHOICES if not c.per_stage}
STAGE_KINDS = {c.name: c.kind for c in RUN_CHOICES if c.per_stage}


@dataclass
class PreferenceChoices:
    """Explicit per-run choices (item ids); empty means "follow the hierarchy"."""

    single: dict[str, Any] = field(default_factory=dict)  # "audienceProfile" → id
    per_stage: dict[str, dict[str, Any]] = field(default_factory=dict)  # "aiBehavior" → {stage: id}

    @classmethod
    def of(cls, payload: Any) -> PreferenceChoices:
        """The choices of a request (its `audience_profile_id` … `prompt_template_ids` attributes)."""
        return cls(single={c.name: getattr(payload, c.field) for c in RUN_CHOICES if not c.per_stage},
                   per_stage={c.name: getattr(payload, c.field) for c in RUN_CHOICES if c.per_stage})

    def as_dict(self) -> dict[str, Any]:
        return {
            **{f"{name}Id": str(value) for name, value in self.single.items() if value},
            **{f"{name}Ids": {s: str(v) for s, v in ids.items()} for name, ids in self.per_stage.items() if ids},
        }


def _entry(key: str, item: Any | None, source: str) -> dict[str, Any]:
    return {
        "id": str(item.pk) if item is not None else None,
        "name": item.name if item is not None else "System defaults",
        "source": source,
        "values": integrations.preference_values(key=key, item=item),
    }


def _chosen(key: str, item_id: Any, field_name: str) -> Any:
    item = integrations.preference_item(key=key, item_id=item_id)
    if item is None:
        label = integrations.preference_kind(key).label
        raise ValidationFailed.on(field_name, f"no {label} with id {item_id}")
    return item


def _active_source(item: Any) -> str:
    return SELECTED_PRESET if getattr(item, "is_preset", False) else ACTIVE_CUSTOM


def content_hash(document: dict[str, Any]) -> str:
    """sha256 of the ids and values (not the sources): equal content, equal hash."""
    def strip(entry: dict[str, Any]) -> dict[str, Any]:
        return {"id": entry["id"], "values": entry["values"]}

    material = {
        name: ({s: strip(e) for s, e in value.items()} if name in STAGE_KINDS else strip(value))
        for name, value in document.items()
        if name != "contentHash"
    }
    encoded = json.dumps(material, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(encoded.encode()).hexdigest()


def effective_preferences_resolve(choices: PreferenceChoices | None = None) -> dict[str, Any]:
    """Resolve every kind by the hierarchy; a bad explicit id is a 422 naming its field."""
    choices = choices or PreferenceChoices()
    errors: list[FieldError] = []
    for name, ids in choices.per_stage.items():
        for stage in ids:
            if stage not in STAGES:
                errors.append(FieldError(f"{name}Ids.{stage}", f"unknown stage; use one of {', '.join(STAGES)}"))
    if errors:
        raise ValidationFailed("Unknown stage in the per-run preferences.", errors=errors)
    active = integrations.preference_active_items()
    document: dict[str, Any] = {}
    for name, key in SINGLE_KINDS.items():
        if choices.single.get(name):
            document[name] = _entry(key, _chosen(key, choices.single[name], f"{name}Id"), RUN_CHOICE)
        elif active.get(key) is not None:
            document[name] = _entry(key, active[key], _active_source(active[key]))
        else:
            document[name] = _entry(key, None, SYSTEM_DEFAULT)
    for name, key in STAGE_KINDS.items():
        per_stage: dict[str, Any] = {}
        explicit = choices.per_stage.get(name) or {}
        current = active.get(key)
        for stage in STAGES:
            if explicit.get(stage):
                item = _chosen(key, explicit[stage], f"{name}Ids.{stage}")
                if item.stage != stage:
                    raise ValidationFailed.on(f"{name}Ids.{stage}", f"{item.name!r} is for the {item.stage} stage")
                per_stage[stage] = _entry(key, item, RUN_CHOICE)
            elif current is not None and current.stage == stage:
                per_stage[stage] = _entry(key, current, ACTIVE_CUSTOM)
            else:
                per_stage[stage] = _entry(key, None, SYSTEM_DEFAULT)
                if key == "promptTemplates":
                    per_stage[stage]["values"] = {"stage": stage, "templateText": "", "variantGroup": ""}
        document[name] = per_stage
    document["contentHash"] = content_hash(document)
    return document
