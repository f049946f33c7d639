"""Export, wipe, import: nothing lost; a bad import changes nothing."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from preferences.kinds import KINDS
from preferences.models import ActiveSelection, CustomAudienceProfile

from .guide_examples import FAMILY_FRIENDLY_STRICT, TECH_SAVVY_MILLENNIALS

pytestmark = pytest.mark.django_db
BASE = "/api/user-preferences"


def _everything() -> dict:
    return {kind.key: sorted((kind.to_wire(o) for o in kind.model.objects.all()), key=lambda w: w["id"])
            for kind in KINDS} | {"active": sorted(ActiveSelection.objects.values_list("kind", "object_id"))}


def _populate(owner_api) -> None:
    profile = owner_api.post(f"{BASE}/audience-profiles", TECH_SAVVY_MILLENNIALS).json()
    owner_api.post(f"{BASE}/audience-profiles/{profile['id']}/select")
    owner_api.post(f"{BASE}/filtering-policies", {**FAMILY_FRIENDLY_STRICT, "name": "Strict 2"})
    owner_api.post(f"{BASE}/ai-behavior", {"name": "Calm", "stage": "narration", "temperature": 0.2})
    template = owner_api.post(f"{BASE}/prompt-templates", {"name": "Hook", "templateText": "{{topic}}!",
                                                           "variantGroup": "g"}).json()
    owner_api.post(f"{BASE}/prompt-templates/{template['id']}/outcome", {"success": True})
    owner_api.post(f"{BASE}/quality-thresholds", {"name": "Q", "scriptQuality": 0.2, "visualQuality": 0.35})
    owner_api.post(f"{BASE}/visual-styles", {"name": "Noir", "colorPalette": ["#000", "#fff"]})


def _wipe() -> None:
    """Back to a new instance: nothing but the presets it ships with."""
    ActiveSelection.objects.all().delete()
    for kind in KINDS:
        rows = kind.model.objects.all()
        if kind.has("is_preset"):
            rows = rows.filter(is_preset=False)
        rows.delete()


def test_export_wipe_import_reproduces_every_field_of_every_item(owner_api):
    _populate(owner_api)
    before = _everything()
    exported = owner_api.get(f"{BASE}/export").json()
    assert exported["version"] == "1.0" and exported["exportDate"]
    document = json.loads(exported["jsonData"])
    assert {k.key for k in KINDS} <= set(document)
    _wipe()
    response = owner_api.post(f"{BASE}/import", {"jsonData": exported["jsonData"]})
    assert response.status_code == HTTPStatus.OK, response.content
    presets = CustomAudienceProfile.objects.filter(is_preset=True).count()
    assert response.json()["created"]["audienceProfiles"] == 1
    assert response.json()["skipped"]["audienceProfiles"] == presets
    assert _everything() == before


def test_importing_the_same_export_again_updates_instead_of_duplicating(owner_api):
    _populate(owner_api)
    exported = owner_api.get(f"{BASE}/export").json()["jsonData"]
    result = owner_api.post(f"{BASE}/import", {"jsonData": exported}).json()
    assert sum(result["created"].values()) == 0
    assert result["updated"]["audienceProfiles"] == CustomAudienceProfile.objects.filter(is_preset=False).count()


def test_a_dry_run_says_what_would_happen_and_writes_nothing(owner_api):
    _populate(owner_api)
    exported = json.loads(owner_api.get(f"{BASE}/export").json()["jsonData"])
    exported["visualStyles"].append({**exported["visualStyles"][0], "id": "7f1e4a70-0000-4000-8000-000000000001",
                                     "name": "Pastel"})
    owner_api.post(f"{BASE}/audience-profiles", {"name": "Only here"})
    before = _everything()
    response = owner_api.post(f"{BASE}/import?mode=replace&dryRun=true", {"jsonData": json.dumps(exported)})
    assert response.status_code == HTTPStatus.OK, response.content
    plan = response.json()
    assert plan["dryRun"] is True and plan["created"]["visualStyles"] == 1 and plan["removed"]["audienceProfiles"] == 1
    assert {"kind": "audienceProfiles", "name": "Only here", "action": "remove"}.items() <= [
        i for i in plan["items"] if i["name"] == "Only here"][0].items()
    assert _everything() == before


def test_replace_mode_removes_what_the_file_does_not_hold(owner_api):
    _populate(owner_api)
    exported = owner_api.get(f"{BASE}/export").json()["jsonData"]
    owner_api.post(f"{BASE}/audience-profiles", {"name": "Only here"})
    result = owner_api.post(f"{BASE}/import?mode=replace", {"jsonData": exported}).json()
    assert result["removed"]["audienceProfiles"] == 1
    assert not CustomAudienceProfile.objects.filter(name="Only here").exists()


def test_an_import_whose_500th_item_is_invalid_changes_nothing(owner_api):
    _populate(owner_api)
    before = _everything()
    items = [{"name": f"Imported {i}", "minAge": 20, "maxAge": 30} for i in range(600)]
    items[499]["minAge"] = 200
    document = {"version": "1.0", "audienceProfiles": items}
    response = owner_api.post(f"{BASE}/import", {"jsonData": json.dumps(document)})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "audienceProfiles[499].minAge"
    assert _everything() == before


@pytest.mark.parametrize(("document", "field"), [
    ({"version": "2.0"}, "version"),
    ({"version": "1.0", "audienceProfiles": {}}, "audienceProfiles"),
    ({"version": "1.0", "audienceProfiles": [{"name": "A", "shoeSize": 9}]}, "audienceProfiles[0].shoeSize"),
    ({"version": "1.0", "audienceProfiles": [{"name": "A"}, {"name": "A"}]}, "audienceProfiles[1].name"),
    ({"version": "1.0", "active": {"audienceProfiles": "nope"}}, "active.audienceProfiles"),
])
def test_bad_documents_are_422_with_the_path(owner_api, document, field):
    response = owner_api.post(f"{BASE}/import", {"jsonData": json.dumps(document)})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, response.content
    assert response.json()["errors"][0]["field"] == field


def test_json_data_that_is_not_json_is_a_422(owner_api):
    response = owner_api.post(f"{BASE}/import", {"jsonData": "{oops"})
    assert response.json()["errors"][0]["field"] == "jsonData"


def test_a_body_over_10_mb_is_a_413(owner_api):
    huge = json.dumps({"version": "1.0", "audienceProfiles": [], "padding": "x" * (10 * 1024 * 1024)})
    response = owner_api.post(f"{BASE}/import", {"jsonData": huge})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_a_viewer_cannot_import(viewer_api):
    response = viewer_api.post(f"{BASE}/import", {"jsonData": json.dumps({"version": "1.0"})})
    assert response.status_code == HTTPStatus.FORBIDDEN
