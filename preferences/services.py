"""Writes and rules for preference items: validate, create, update, delete, select, clone, favorite."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic.alias_generators import to_camel

from aura_site.errors import Conflict, FieldError, NotFound, ValidationFailed

from .kinds import Kind
from .models import ActiveSelection, Preference

# ---- validation -----------------------------------------------------------------------------------


def _field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    errors = []
    for name, messages in error.message_dict.items():
        camel = "name" if name == "__all__" else to_camel(name)
        for message in messages:
            errors.append(FieldError(f"{prefix}{camel}", message))
    return errors


def validate_item(obj: Preference, *, prefix: str = "") -> None:
    """Run the model's rules (field validators, choices, cross-field checks); 422 naming each field."""
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = _field_errors(error, prefix)
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        raise ValidationFailed(f"Validation failed: {summary}", errors=errors) from None


def _ensure_name_free(kind: Kind, name: str, exclude_id=None) -> None:
    clash = kind.model.objects.filter(name=name)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise Conflict(
            f"A {kind.label} named {name!r} already exists.",
            errors=[FieldError("name", "already exists")],
        )


def _ensure_editable(kind: Kind, obj: Preference) -> None:
    if getattr(obj, "is_preset", False):
        raise Conflict(f"{obj.name!r} is a read-only preset; clone it to make an editable copy.")


def _get(kind: Kind, item_id) -> Preference:
    obj = kind.model.objects.filter(pk=item_id).first()
    if obj is None:
        raise NotFound(f"No {kind.label} with id {item_id}.")
    return obj


def _save(kind: Kind, obj: Preference) -> Preference:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise Conflict(f"A {kind.label} named {obj.name!r} already exists.") from None
    return obj


# ---- create, update, delete -----------------------------------------------------------------------


@transaction.atomic
def preference_create(*, kind: Kind, data: dict[str, Any]) -> Preference:
    """Create an item from snake_case data; fields left out take their defaults."""
    obj = kind.model(**data)
    validate_item(obj)
    _ensure_name_free(kind, obj.name)
    return _save(kind, obj)


@transaction.atomic
def preference_update(*, kind: Kind, item_id, data: dict[str, Any]) -> Preference:
    """Apply a full or partial update; the rules run on the merged result."""
    obj = _get(kind, item_id)
    _ensure_editable(kind, obj)
    for name, value in data.items():
        setattr(obj, name, value)
    validate_item(obj)
    _ensure_name_free(kind, obj.name, exclude_id=obj.pk)
    obj.updated_at = timezone.now()
    return _save(kind, obj)


@transaction.atomic
def preference_delete(*, kind: Kind, item_id) -> None:
    """Delete an item; if it was the active one, the selection is cleared."""
    obj = _get(kind, item_id)
    _ensure_editable(kind, obj)
    ActiveSelection.objects.filter(kind=kind.key, object_id=obj.pk).delete()
    obj.delete()


@transaction.atomic
def preference_select(*, kind: Kind, item_id) -> Preference:
    """Make this item the active one of its kind."""
    obj = _get(kind, item_id)
    ActiveSelection.objects.update_or_create(
        kind=kind.key, defaults={"object_id": obj.pk, "selected_at": timezone.now()}
    )
    return obj


@transaction.atomic
def preference_clone(*, kind: Kind, item_id, name: str | None = None) -> Preference:
    """An editable copy of any item or preset, named `name` or "<original> (copy)"."""
    source = _get(kind, item_id)
    data = {f.name: getattr(source, f.name) for f in kind.input_fields}
    data["name"] = name or _free_copy_name(kind, source.name)
    data.pop("is_favorite", None)
    return preference_create(kind=kind, data=data)


def _free_copy_name(kind: Kind, original: str) -> str:
    candidate = f"{original} (copy)"
    number = 2
    while kind.model.objects.filter(name=candidate).exists():
        candidate = f"{original} (copy {number})"
        number += 1
    return candidate[:200]


@transaction.atomic
def preference_set_favorite(*, kind: Kind, item_ids: list, favorite: bool = True) -> int:
    return kind.model.objects.filter(pk__in=item_ids).update(is_favorite=favorite, updated_at=timezone.now())
