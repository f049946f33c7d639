"""The OpenAPI document parses under strict rules, so Swagger UI and YAML tools can read it."""

from __future__ import annotations

import json
import typing
from collections import defaultdict

import pytest
from ninja.params.models import BodyModel
from pydantic import BaseModel

from aura_site.api import api

pytestmark = pytest.mark.django_db


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise ValueError(f"duplicated keys {duplicated} in an object with keys {keys}")
    return dict(pairs)


def _colliding_keys(value: object, where: str = "$") -> list[str]:
    """Mappings with two keys that read the same once made text (200 and "200"), as YAML and JSON do."""
    found = []
    if isinstance(value, dict):
        as_text = defaultdict(list)
        for key in value:
            as_text[str(key)].append(key)
        found += [f"{where}: {keys}" for keys in as_text.values() if len(keys) > 1]
        for key, item in value.items():
            found += _colliding_keys(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _colliding_keys(item, f"{where}[{index}]")
    return found


def _models_in(annotation: object) -> typing.Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models_in(argument)


def _schema_classes() -> dict[str, set[type[BaseModel]]]:
    """Every schema class reachable from the API's bodies and answers (the document's components), by name."""
    seen: set[type[BaseModel]] = set()
    pending = []
    for _, router in api._routers:
        routers = [router]
        while routers:
            current = routers.pop()
            routers += [entry[1] for entry in current._routers]
            for path_view in current.path_operations.values():
                for operation in path_view.operations:
                    bodies = [model for model in operation.models if issubclass(model, BodyModel)]
                    wrappers = [*operation.response_models.values(), *bodies]
                    pending += [field.annotation for wrapper in wrappers if wrapper
                                for field in wrapper.model_fields.values()]
    by_name: dict[str, set[type[BaseModel]]] = defaultdict(set)
    while pending:
        for model in _models_in(pending.pop()):
            if model not in seen:
                seen.add(model)
                by_name[model.__name__].add(model)
                pending += [field.annotation for field in model.model_fields.values()]
    return by_name


def test_the_served_document_has_no_duplicated_key(owner_api):
    response = owner_api.get("/api/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content, object_pairs_hook=_refuse_duplicates)
    assert "/api/cost-tracking/exports/{task_id}/download" in document["paths"]


def test_no_mapping_of_the_document_has_keys_that_collide_as_text():
    assert _colliding_keys(api.get_openapi_schema()) == []


def test_the_export_download_declares_its_file_answer_once():
    answers = api.get_openapi_schema()["paths"]["/api/cost-tracking/exports/{task_id}/download"]["get"]["responses"]

    assert set(answers[200]["content"]) == {"text/csv", "application/json"}


def test_each_schema_name_in_the_document_belongs_to_one_class():
    # The document keeps one schema per name: a second class of the same name would silently take the
    # first one's place, and its routes would then answer something else than they declare.
    shared = {name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
              for name, classes in _schema_classes().items() if len(classes) > 1}

    assert shared == {}
