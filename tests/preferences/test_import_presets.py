"""Import follows the API's rules for presets: never written, `isPreset` server-set, replace spares them."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.test import Client

from preferences.kinds import KINDS_BY_KEY
from preferences.models import ActiveSelection, ContentFilteringPolicy, CustomAudienceProfile

pytestmark = pytest.mark.django_db
BASE = "/api/user-preferences"
PROFILES = KINDS_BY_KEY["audienceProfiles"]


def _import(api, document: dict, mode: str = "merge"):
    return api.post(f"{BASE}/import?mode={mode}", {"jsonData": json.dumps({"version": "1.0", **document})})


def _preset() -> CustomAudienceProfile:
    return CustomAudienceProfile.objects.get(name="Gen Z Social", is_preset=True)


def _snapshot(obj) -> dict:
    return PROFILES.to_wire(type(obj).objects.get(pk=obj.pk))


def test_a_merge_with_a_presets_id_leaves_the_preset_as_shipped_and_reports_it(owner_api):
    preset = _preset()
    before = _snapshot(preset)
    hostile = {**before, "description": "rewritten by an import", "minAge": 60, "maxAge": 90}

    response = _import(owner_api, {"audienceProfiles": [hostile]})

    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["updated"]["audienceProfiles"] == 0 and body["skipped"]["audienceProfiles"] == 1
    assert body["items"] == [{"kind": "audienceProfiles", "name": "Gen Z Social", "id": str(preset.pk),
                              "action": "skip", "reason": "a read-only preset: import never changes it"}]
    assert _snapshot(preset) == before


def test_a_merge_matching_a_presets_name_leaves_the_preset_alone(owner_api):
    preset = _preset()
    before = _snapshot(preset)

    response = _import(owner_api, {"audienceProfiles": [{"name": "Gen Z Social", "minAge": 50, "maxAge": 60}]})

    assert response.status_code == HTTPStatus.OK and response.json()["skipped"]["audienceProfiles"] == 1
    assert _snapshot(preset) == before
    assert CustomAudienceProfile.objects.filter(name="Gen Z Social").count() == 1


def test_is_preset_in_a_file_is_ignored_so_the_item_stays_editable_and_deletable(owner_api):
    item = {"id": "0b7c55de-1111-4222-8333-444455556666", "name": "Smuggled", "isPreset": True}

    response = _import(owner_api, {"audienceProfiles": [item]})

    assert response.status_code == HTTPStatus.OK and response.json()["created"]["audienceProfiles"] == 1
    created = CustomAudienceProfile.objects.get(name="Smuggled")
    assert created.is_preset is False
    url = f"{BASE}/audience-profiles/{created.pk}"
    assert owner_api.put(url, {"description": "mine"}).status_code == HTTPStatus.OK
    assert owner_api.delete(url).status_code in {HTTPStatus.OK, HTTPStatus.NO_CONTENT}
    assert not CustomAudienceProfile.objects.filter(pk=created.pk).exists()


def test_is_preset_cannot_turn_an_existing_item_into_a_preset(owner_api):
    mine = owner_api.post(f"{BASE}/audience-profiles", {"name": "Mine"}).json()

    response = _import(owner_api, {"audienceProfiles": [{**mine, "isPreset": True, "description": "updated"}]})

    assert response.status_code == HTTPStatus.OK and response.json()["updated"]["audienceProfiles"] == 1
    row = CustomAudienceProfile.objects.get(pk=mine["id"])
    assert (row.description, row.is_preset) == ("updated", False)


def test_replace_with_empty_lists_removes_custom_items_only(owner_api):
    owner_api.post(f"{BASE}/audience-profiles", {"name": "Mine"})
    presets = {kind: set(model.objects.filter(is_preset=True).values_list("pk", flat=True))
               for kind, model in (("audienceProfiles", CustomAudienceProfile),
                                   ("filteringPolicies", ContentFilteringPolicy))}
    assert all(presets.values())

    response = _import(owner_api, {"audienceProfiles": [], "filteringPolicies": []}, mode="replace")

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["removed"]["audienceProfiles"] == 1
    assert all(item["id"] not in {str(p) for ids in presets.values() for p in ids}
               for item in response.json()["items"] if item["action"] == "remove")
    assert set(CustomAudienceProfile.objects.values_list("pk", flat=True)) == presets["audienceProfiles"]
    assert set(ContentFilteringPolicy.objects.values_list("pk", flat=True)) == presets["filteringPolicies"]


def test_a_file_may_select_a_preset_it_holds(owner_api):
    preset = _preset()

    response = _import(owner_api, {"audienceProfiles": [_snapshot(preset)],
                                   "active": {"audienceProfiles": str(preset.pk)}})

    assert response.status_code == HTTPStatus.OK, response.content
    assert ActiveSelection.objects.get(kind="audienceProfiles").object_id == preset.pk


def test_the_import_page_previews_a_preset_as_skipped_and_leaves_it_alone(owner):
    preset = _preset()
    before = _snapshot(preset)
    client = Client()
    client.force_login(owner)
    document = {"version": "1.0", "audienceProfiles": [{**before, "description": "changed"}]}

    preview = client.post("/preferences/import-export/import/", {"mode": "merge", "json_data": json.dumps(document)})
    done = client.post("/preferences/import-export/import/",
                       {"mode": "merge", "json_data": json.dumps(document), "confirm": "1"})

    assert "skip" in preview.content.decode() and "read-only preset" in preview.content.decode()
    assert "read-only presets left as shipped" in done.content.decode()
    assert _snapshot(preset) == before


def test_a_selection_follows_an_item_matched_by_name_to_its_id_here(owner_api):
    mine = owner_api.post(f"{BASE}/audience-profiles", {"name": "Mine"}).json()
    other_id = "5d1e2f30-aaaa-4bbb-8ccc-ddddeeeeffff"

    response = _import(owner_api, {"audienceProfiles": [{"id": other_id, "name": "Mine"}],
                                   "active": {"audienceProfiles": other_id}})

    assert response.status_code == HTTPStatus.OK, response.content
    assert str(ActiveSelection.objects.get(kind="audienceProfiles").object_id) == mine["id"]
