"""Export and the all-or-nothing import of every preference kind and the active selection."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from pydantic import TypeAdapter
from pydantic.alias_generators import to_camel

from aura_site import supported_dates
from aura_site.errors import Conflict, FieldError, PayloadTooLarge, ValidationFailed

from .kinds import KINDS, KINDS_BY_KEY, Kind
from .models import ActiveSelection, Preference
from .services import validate_item

EXPORT_VERSION = "1.0"
MAX_IMPORT_BYTES = 10 * 1024 * 1024


# ---- export and import ----------------------------------------------------------------------------


def preferences_export() -> dict[str, Any]:
    """Every item of every kind plus the active selection, as the export document (for `export_json`).

    Items are read with `values_list` into dicts shaped as `Kind.to_wire` shapes them, but UUIDs and
    datetimes are left as Python objects for `export_json` to write: one query per kind, one per selection.
    """
    document: dict[str, Any] = {"version": EXPORT_VERSION, "exportDate": timezone.now().isoformat()}
    for kind in KINDS:
        document[kind.key] = list(kind.wire_rows(kind.model.objects.order_by("name")))
    document["active"] = {s.kind: str(s.object_id) for s in ActiveSelection.objects.order_by("kind")}
    return document


_JSON_MODE = TypeAdapter(Any)


def _json_value(value: Any) -> Any:
    """A value `json` cannot write (UUID, datetime) in pydantic's JSON form, as the item schemas write it."""
    return _JSON_MODE.dump_python(value, mode="json")


def export_json(document: dict[str, Any], *, indent: int | None = None) -> str:
    """The export document as JSON text in one `json.dumps` pass: the bytes `Kind.to_wire` items would give."""
    return json.dumps(document, indent=indent, default=_json_value)


@dataclass
class ImportPlan:
    mode: str
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)
    # Per kind: the id an item has in the file → the id of the row it was matched to here.
    matched_ids: dict[str, dict[str, str]] = field(default_factory=dict)


PRESET_SKIPPED = "a read-only preset: import never changes it"


def _parse_document(json_data: str) -> dict[str, Any]:
    if len(json_data.encode()) > MAX_IMPORT_BYTES:
        raise PayloadTooLarge(f"jsonData is larger than {MAX_IMPORT_BYTES} bytes.")
    try:
        document = json.loads(json_data)
    except json.JSONDecodeError as error:
        raise ValidationFailed.on("jsonData", f"is not valid JSON ({error.msg} at position {error.pos})") from None
    except RecursionError:
        raise ValidationFailed.on("jsonData", "is nested too deeply to be an export") from None
    if not isinstance(document, dict):
        raise ValidationFailed.on("jsonData", "must hold a JSON object")
    version = document.get("version")
    if version != EXPORT_VERSION:
        raise ValidationFailed.on("version", f"unsupported export version {version!r}; expected {EXPORT_VERSION!r}")
    for key in document:
        if key not in KINDS_BY_KEY and key not in {"version", "exportDate", "active"}:
            raise ValidationFailed.on(key, "is not a kind of preference this version knows")
    return document


def _item_from_wire(kind: Kind, wire: Any, path: str) -> Preference:
    """Build (not save) an item from its exported form, running every rule; errors name `path`."""
    if not isinstance(wire, dict):
        raise ValidationFailed.on(path, "must be an object")
    unknown = sorted(set(wire) - set(kind.field_by_camel))
    if unknown:
        raise ValidationFailed.on(f"{path}.{unknown[0]}", "is not a field of this kind")
    try:
        parsed = kind.create_schema.model_validate({k: v for k, v in wire.items() if k in kind.input_camels})
    except Exception as error:  # pydantic.ValidationError
        first = error.errors()[0]  # type: ignore[attr-defined]
        loc = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed.on(f"{path}.{loc}", first["msg"]) from None
    data = parsed.model_dump()
    obj = kind.model(**data)
    # `isPreset` is set by the server only (the shipped presets), so an import never makes one.
    for name in ("id", "created_at", "updated_at", "success_count", "failure_count"):
        camel = to_camel(name)
        if camel in wire and kind.has(name):
            raw = wire[camel]
            field = kind.model._meta.get_field(name)
            if isinstance(field, models.DateTimeField) and not isinstance(raw, str):
                raise ValidationFailed.on(f"{path}.{camel}", "must be an ISO 8601 date-time string")
            try:
                value = field.to_python(raw)
            except ValidationError as error:
                raise ValidationFailed.on(f"{path}.{camel}", "; ".join(error.messages)) from None
            except (TypeError, ValueError, OverflowError, AttributeError):
                raise ValidationFailed.on(f"{path}.{camel}", f"is not a valid {field.get_internal_type()}") from None
            if isinstance(value, datetime.date) and not supported_dates.is_supported(value):
                raise ValidationFailed.on(f"{path}.{camel}", supported_dates.MESSAGE)
            setattr(obj, name, value)
    validate_item(obj, prefix=f"{path}.")
    return obj


@transaction.atomic
def preferences_import(*, json_data: str, mode: str = "merge", dry_run: bool = False) -> ImportPlan:
    """Import an export document all-or-nothing: merge (match by id, then name) or replace.

    Presets are read-only here as in the API, but an export holds them, so an item matching a preset
    is skipped and reported (never a refusal: an export must import back). Replace removes custom
    items only.
    """
    if mode not in {"merge", "replace"}:
        raise ValidationFailed.on("mode", "must be 'merge' or 'replace'")
    document = _parse_document(json_data)
    plan = ImportPlan(mode=mode)
    incoming: dict[str, list[Preference]] = {}
    for kind in KINDS:
        entries = document.get(kind.key, [])
        if not isinstance(entries, list):
            raise ValidationFailed.on(kind.key, "must be a list")
        incoming[kind.key] = [_item_from_wire(kind, w, f"{kind.key}[{i}]") for i, w in enumerate(entries)]
        names: set[str] = set()
        ids: set = set()
        for index, obj in enumerate(incoming[kind.key]):
            if obj.name in names:
                raise ValidationFailed.on(f"{kind.key}[{index}].name", f"duplicates {obj.name!r} in the file")
            if obj.pk in ids:
                raise ValidationFailed.on(f"{kind.key}[{index}].id", "duplicates another item's id in the file")
            names.add(obj.name)
            ids.add(obj.pk)

    for kind in KINDS:
        _import_kind(kind, incoming[kind.key], mode, plan, dry_run)

    active = document.get("active") or {}
    if not isinstance(active, dict):
        raise ValidationFailed.on("active", "must be an object")
    selected: dict[str, str] = {}
    for key, object_id in active.items():
        kind = KINDS_BY_KEY.get(key)
        matched = plan.matched_ids.get(key, {})
        if kind is None or str(object_id) not in matched:
            raise ValidationFailed.on(f"active.{key}", "must name an item of the file")
        selected[key] = matched[str(object_id)]
    if not dry_run:
        if mode == "replace":
            ActiveSelection.objects.all().delete()
        for key, object_id in selected.items():
            ActiveSelection.objects.update_or_create(kind=key, defaults={"object_id": object_id})
    if dry_run:
        transaction.set_rollback(True)
    return plan


def _import_kind(kind: Kind, items: list[Preference], mode: str, plan: ImportPlan, dry_run: bool) -> None:
    model = kind.model
    existing_by_id = {obj.pk: obj for obj in model.objects.filter(pk__in=[o.pk for o in items])}
    existing_by_name = {
        obj.name: obj for obj in model.objects.filter(name__in=[o.name for o in items])
    }
    to_create, to_update, skipped = [], [], []
    matched_ids = plan.matched_ids.setdefault(kind.key, {})
    for obj in items:
        match = existing_by_id.get(obj.pk) or (existing_by_name.get(obj.name) if mode == "merge" else None)
        file_id = str(obj.pk)
        if match is not None and getattr(match, "is_preset", False):
            skipped.append(match)
            matched_ids[file_id] = str(match.pk)
            plan.items.append({"kind": kind.key, "name": match.name, "id": str(match.pk), "action": "skip",
                               "reason": PRESET_SKIPPED})
        elif match is not None:
            obj.pk = match.pk
            to_update.append(obj)
            matched_ids[file_id] = str(obj.pk)
            plan.items.append({"kind": kind.key, "name": obj.name, "id": str(obj.pk), "action": "update"})
        else:
            to_create.append(obj)
            matched_ids[file_id] = file_id
            plan.items.append({"kind": kind.key, "name": obj.name, "id": str(obj.pk), "action": "create"})
    kept = {o.pk for o in to_update + to_create}
    removed = []
    if mode == "replace":
        leaving = model.objects.exclude(pk__in=kept)
        if kind.has("is_preset"):
            leaving = leaving.filter(is_preset=False)
        removed = list(leaving.values_list("pk", "name"))
        for pk, name in removed:
            plan.items.append({"kind": kind.key, "name": name, "id": str(pk), "action": "remove"})
    plan.created[kind.key] = len(to_create)
    plan.updated[kind.key] = len(to_update)
    plan.removed[kind.key] = len(removed)
    plan.skipped[kind.key] = len(skipped)
    if dry_run:
        return
    if removed:
        model.objects.filter(pk__in=[pk for pk, _ in removed]).delete()
        ActiveSelection.objects.filter(kind=kind.key, object_id__in=[pk for pk, _ in removed]).delete()
    # Names may move between items: clear the names being reused by other rows first.
    update_ids = {o.pk for o in to_update}
    clashes = model.objects.filter(name__in=[o.name for o in to_update + to_create]).exclude(pk__in=update_ids)
    if clashes.exists():
        clash = clashes.first()
        raise Conflict(
            f"{kind.key}: an existing {kind.label} is already named {clash.name!r} with another id.",
            errors=[FieldError(f"{kind.key}.name", f"{clash.name!r} already exists")],
        )
    if to_update:
        # Names may swap between updated rows: give them placeholder names first.
        model.objects.filter(pk__in=update_ids).update(name=Cast("id", CharField()))
        model.objects.bulk_update(to_update, [f.name for f in kind.fields if f.name != "id"], batch_size=500)
    if to_create:
        model.objects.bulk_create(to_create, batch_size=500)
