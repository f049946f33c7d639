"""Reads for preferences: filtered lists, the active selection, A/B variant groups."""

from __future__ import annotations

import json

from django.db.models import QuerySet

from .kinds import KINDS, Kind
from .models import ActiveSelection, CustomPromptTemplate, Preference


def preference_list(*, kind: Kind, q: str = "", tag: str = "", favorite: bool | None = None) -> QuerySet:
    """Items of a kind, filtered by name search, tag and favorite, presets first then by name."""
    queryset = kind.model.objects.all()
    if q:
        queryset = queryset.filter(name__icontains=q)
    if tag and kind.has("tags"):
        # Tags are a JSON list; matching the quoted value works on SQLite and PostgreSQL alike.
        queryset = queryset.filter(tags__icontains=json.dumps(tag))
    if favorite is not None and kind.has("is_favorite"):
        queryset = queryset.filter(is_favorite=favorite)
    order = ["-is_preset", "name"] if kind.has("is_preset") else ["name"]
    return queryset.order_by(*order)


def active_items() -> dict[str, Preference | None]:
    """The active item of every kind (None where nothing is selected), in one query per kind."""
    selections = {s.kind: s.object_id for s in ActiveSelection.objects.all()}
    return {
        kind.key: kind.model.objects.filter(pk=selections[kind.key]).first() if kind.key in selections else None
        for kind in KINDS
    }


def variant_group(*, group: str) -> list[CustomPromptTemplate]:
    return list(CustomPromptTemplate.objects.filter(variant_group=group).order_by("name"))
