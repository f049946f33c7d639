"""The export and the lists, read with values_list, write the bytes the item schemas wrote: all kinds, all fields.

The references are the schema paths themselves: `Kind.to_wire` (the item schema validated from the model instance,
dumped in JSON mode) for the export, and the single-item GET (django-ninja validating the instance against the
same schema) for the lists.
"""

from __future__ import annotations

import datetime as dt
import json
from http import HTTPStatus

import pytest
from django.core.validators import MaxValueValidator
from django.db import models
from django.test import Client

from preferences import selectors
from preferences.kinds import KINDS
from preferences.models import ActiveSelection

pytestmark = pytest.mark.django_db
BASE = "/api/user-preferences"
TEXT = 'Line "one"\nline two \\ tab\t ünïcode — 🎬 </script>'
WORDS = ["ünïcode", 'a "quoted" word', "back\\slash", "🎬", ""]
FLOATS = [1e-05, 0.30000000000000004, 1.0]
WHEN = [
    dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC),  # no fraction
    dt.datetime(2026, 3, 4, 5, 6, 7, 5, tzinfo=dt.UTC),  # one microsecond
    dt.datetime(2026, 3, 4, 5, 6, 7, 500000, tzinfo=dt.UTC),  # trailing zeros
    dt.datetime(1999, 12, 31, 23, 59, 59, 123456, tzinfo=dt.UTC),
]


def _top(field: models.Field) -> int:
    limits = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return min(limits) if limits else 32767


def _values(kind, variant: int) -> dict:
    """Every field of the kind set away from its default, differently for each variant."""
    values = {}
    for field in kind.fields:
        if field.name == "id":
            continue
        if field.name == "name":
            values["name"] = f"{kind.title} {variant} — ü \"q\""
        elif isinstance(field, models.DateTimeField):
            values[field.name] = WHEN[(variant + (field.name == "updated_at")) % len(WHEN)]
        elif field.choices:
            values[field.name] = field.choices[variant % len(field.choices)][0]
        elif isinstance(field, models.BooleanField):
            values[field.name] = variant % 2 == 0
        elif isinstance(field, models.IntegerField):
            values[field.name] = _top(field) - variant
        elif isinstance(field, models.FloatField):
            values[field.name] = FLOATS[variant % len(FLOATS)]
        elif isinstance(field, models.JSONField):
            values[field.name] = WORDS[variant % 2:] if variant < 2 else []
        elif field.name == "template_text":
            values[field.name] = f"{{{{topic}}}} {variant} {TEXT}"
        else:
            values[field.name] = TEXT if variant % 2 else ""
    return values


@pytest.fixture
def seeded():
    """Three items of every kind beside the shipped presets, each field of each type set; two active ones."""
    for kind in KINDS:
        kind.model.objects.bulk_create([kind.model(**_values(kind, variant)) for variant in range(3)])
    for kind in KINDS[:2]:
        ActiveSelection.objects.create(kind=kind.key, object_id=kind.model.objects.order_by("name").last().pk)


def _schema_document(export_date: str) -> dict:
    document = {"version": "1.0", "exportDate": export_date}
    for kind in KINDS:
        document[kind.key] = [kind.to_wire(obj) for obj in kind.model.objects.order_by("name")]
    document["active"] = {s.kind: str(s.object_id) for s in ActiveSelection.objects.order_by("kind")}
    return document


def test_the_seed_covers_every_field_type_of_every_kind(seeded):
    for kind in KINDS:
        types = {type(f) for f in kind.fields}
        assert {models.UUIDField, models.CharField, models.DateTimeField, models.JSONField} <= types
        items = [kind.to_wire(obj) for obj in kind.model.objects.filter(name__contains="—")]
        assert len(items) == 3
        for key in items[0]:
            assert len({json.dumps(item[key]) for item in items}) > 1, f"{kind.key}.{key} is the same in every item"


def test_the_export_writes_the_bytes_the_item_schemas_wrote(owner_api, seeded):
    response = owner_api.get(f"{BASE}/export")

    assert response.status_code == HTTPStatus.OK
    json_data = response.json()["jsonData"]
    export_date = json.loads(json_data)["exportDate"]
    assert json_data == json.dumps(_schema_document(export_date))
    assert '"createdAt": "2026-03-04T05:06:07.000005Z"' in json_data
    assert '"updatedAt": "2026-03-04T05:06:07.500000Z"' in json_data
    assert '"temperature": 1e-05' in json_data


def test_the_export_download_and_the_admin_export_write_the_same_bytes(owner, seeded):
    client = Client()
    client.force_login(owner)

    download = client.get("/preferences/import-export/export.json")

    assert download.status_code == HTTPStatus.OK
    assert download["Content-Type"] == "application/json"
    text = download.content.decode()
    assert text == json.dumps(_schema_document(json.loads(text)["exportDate"]), indent=2)
    kind = KINDS[0]
    chosen = list(kind.model.objects.order_by("name")[:2])
    opts = kind.model._meta
    exported = client.post(f"/admin/{opts.app_label}/{opts.model_name}/",
                           {"action": "export_selected", "_selected_action": [str(o.pk) for o in chosen]})
    assert exported.status_code == HTTPStatus.OK
    assert exported.content.decode() == json.dumps(
        {"version": "1.0", kind.key: [kind.to_wire(o) for o in chosen]}, indent=2)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.slug)
def test_a_list_page_writes_each_item_as_its_own_get_does(owner_api, seeded, kind):
    response = owner_api.get(f"{BASE}/{kind.slug}", {"limit": 1000})

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json; charset=utf-8"
    ids = [obj.pk for obj in selectors.preference_list(kind=kind)]
    items = [owner_api.get(f"{BASE}/{kind.slug}/{pk}").content for pk in ids]
    assert response.content == b'{"items": [' + b", ".join(items) + b'], "count": %d}' % len(ids)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.slug)
def test_a_filtered_later_page_keeps_the_total_and_the_order(owner_api, seeded, kind):
    rows = selectors.preference_list(kind=kind, q="—")
    response = owner_api.get(f"{BASE}/{kind.slug}", {"q": "—", "limit": 2, "offset": 1})

    body = response.json()
    assert body["count"] == rows.count() == 3
    assert [item["id"] for item in body["items"]] == [str(obj.pk) for obj in rows[1:3]]


def test_the_export_runs_the_same_queries_for_a_few_and_many_items(owner_api, django_assert_max_num_queries):
    owner_api.get(f"{BASE}/export")  # the token's first use records last_used_at
    # Token lookup, one read per kind, the active selection.
    with django_assert_max_num_queries(1 + len(KINDS) + 1):
        owner_api.get(f"{BASE}/export")
    for kind in KINDS:
        kind.model.objects.bulk_create([kind.model(**_values(kind, 0) | {"name": f"item {i}"}) for i in range(100)])
    with django_assert_max_num_queries(1 + len(KINDS) + 1):
        document = json.loads(owner_api.get(f"{BASE}/export").json()["jsonData"])
    assert all(len(document[kind.key]) >= 100 for kind in KINDS)
