"""The guide's request bodies work verbatim and read back field for field."""

from __future__ import annotations

import copy
from http import HTTPStatus

import pytest

from preferences.models import CustomAudienceProfile

from .guide_examples import APPENDIX_PROFILES, FAMILY_FRIENDLY_STRICT, TECH_SAVVY_MILLENNIALS

pytestmark = pytest.mark.django_db
PROFILES = "/api/user-preferences/audience-profiles"
POLICIES = "/api/user-preferences/filtering-policies"


def _assert_reads_back(sent: dict, got: dict) -> None:
    for key, value in sent.items():
        assert got[key] == value, key


def test_the_guides_profile_is_created_and_reads_back_in_camel_case(owner_api):
    response = owner_api.post(PROFILES, TECH_SAVVY_MILLENNIALS)
    assert response.status_code == HTTPStatus.CREATED, response.content
    created = response.json()
    _assert_reads_back(TECH_SAVVY_MILLENNIALS, created)
    fetched = owner_api.get(f"{PROFILES}/{created['id']}").json()
    _assert_reads_back(TECH_SAVVY_MILLENNIALS, fetched)
    assert {"id", "createdAt", "updatedAt", "culturalHumorPreferences", "brandPersonality"} <= set(fetched)


def test_the_guides_partial_put_changes_only_the_fields_it_names(owner_api):
    created = owner_api.post(PROFILES, TECH_SAVVY_MILLENNIALS).json()
    response = owner_api.put(f"{PROFILES}/{created['id']}", {"formalityLevel": 6, "technicalDepthTolerance": 9})
    assert response.status_code == HTTPStatus.OK, response.content
    expected = {**TECH_SAVVY_MILLENNIALS, "formalityLevel": 6, "technicalDepthTolerance": 9}
    _assert_reads_back(expected, owner_api.get(f"{PROFILES}/{created['id']}").json())


def test_patch_is_a_synonym_of_put(owner_api):
    created = owner_api.post(PROFILES, TECH_SAVVY_MILLENNIALS).json()
    response = owner_api.patch(f"{PROFILES}/{created['id']}", {"sarcasmLevel": 1})
    assert response.json()["sarcasmLevel"] == 1


def test_the_guides_policy_is_created_updated_and_deleted(owner_api):
    body = copy.deepcopy(FAMILY_FRIENDLY_STRICT)
    body["name"] = "Family-Friendly Strict (ours)"  # the preset of the same name ships already
    response = owner_api.post(POLICIES, body)
    assert response.status_code == HTTPStatus.CREATED, response.content
    created = response.json()
    _assert_reads_back(body, created)
    assert owner_api.put(f"{POLICIES}/{created['id']}", {"violenceThreshold": 2}).json()["violenceThreshold"] == 2
    assert owner_api.delete(f"{POLICIES}/{created['id']}").status_code == HTTPStatus.NO_CONTENT
    assert owner_api.get(f"{POLICIES}/{created['id']}").status_code == HTTPStatus.NOT_FOUND


def test_the_guides_policy_verbatim_conflicts_with_the_preset_of_that_name(owner_api):
    response = owner_api.post(POLICIES, FAMILY_FRIENDLY_STRICT)
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["errors"] == [{"field": "name", "message": "already exists"}]


@pytest.mark.parametrize("body", APPENDIX_PROFILES, ids=lambda b: b["name"])
def test_the_appendix_partial_profiles_are_accepted_with_defaults_for_the_rest(owner_api, body):
    CustomAudienceProfile.objects.filter(name=body["name"]).delete()  # the presets carry these names
    response = owner_api.post(PROFILES, body)
    assert response.status_code == HTTPStatus.CREATED, response.content
    created = response.json()
    _assert_reads_back(body, created)
    assert created["readingLevel"] == 8 and created["ctaStyle"] == "Conversational"


def test_the_appendix_profiles_ship_as_read_only_presets(owner_api):
    listed = owner_api.get(PROFILES).json()
    presets = {p["name"]: p for p in listed["items"] if p["isPreset"]}
    assert set(presets) == {b["name"] for b in APPENDIX_PROFILES}
    for body in APPENDIX_PROFILES:
        _assert_reads_back(body, presets[body["name"]])
    preset_id = presets["Gen Z Social"]["id"]
    assert owner_api.put(f"{PROFILES}/{preset_id}", {"sarcasmLevel": 1}).status_code == HTTPStatus.CONFLICT
    assert owner_api.delete(f"{PROFILES}/{preset_id}").status_code == HTTPStatus.CONFLICT


def test_a_list_is_paginated_and_filtered(owner_api):
    owner_api.post(PROFILES, TECH_SAVVY_MILLENNIALS)
    page = owner_api.get(PROFILES, {"limit": 2, "offset": 0}).json()
    assert page["count"] == 4 and len(page["items"]) == 2
    assert [p["name"] for p in owner_api.get(PROFILES, {"tag": "millennials"}).json()["items"]] == [
        "Tech-Savvy Millennials"
    ]
    assert owner_api.get(PROFILES, {"favorite": "true"}).json()["count"] == 1
    assert owner_api.get(PROFILES, {"q": "gen z"}).json()["items"][0]["name"] == "Gen Z Social"
