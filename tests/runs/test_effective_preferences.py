"""Effective preferences: the override hierarchy, frozen on the job with ids and a content hash."""

from __future__ import annotations

import pytest

from models_selection.runs.effective import PreferenceChoices, effective_preferences_resolve
from models_selection.runs.models import Job
from preferences.kinds import KINDS_BY_KEY
from preferences.models import CustomAudienceProfile
from preferences.services import preference_create, preference_select, preference_update

pytestmark = pytest.mark.django_db
PROFILES = KINDS_BY_KEY["audienceProfiles"]


def _profile(name: str, **data):
    return preference_create(kind=PROFILES, data={"name": name, **data})


def test_with_nothing_selected_every_kind_is_the_system_defaults():
    document = effective_preferences_resolve()

    assert document["audienceProfile"] == {**document["audienceProfile"], "id": None, "source": "SystemDefault"}
    assert document["audienceProfile"]["values"]["minAge"] == 18
    assert document["aiBehavior"]["script"]["values"]["temperature"] == 0.7
    assert document["promptTemplates"]["visual"]["source"] == "SystemDefault"
    assert document["contentHash"].startswith("sha256:")


def test_a_selected_preset_applies_then_an_active_custom_item_then_an_explicit_choice():
    preset = CustomAudienceProfile.objects.get(name="Gen Z Social")
    preference_select(kind=PROFILES, item_id=preset.pk)
    assert effective_preferences_resolve()["audienceProfile"]["source"] == "SelectedPreset"

    custom = _profile("Makers", min_age=30, max_age=40)
    preference_select(kind=PROFILES, item_id=custom.pk)
    active = effective_preferences_resolve()["audienceProfile"]
    assert (active["id"], active["source"], active["values"]["minAge"]) == (str(custom.pk), "ActiveCustom", 30)

    explicit = _profile("Retirees", min_age=65, max_age=90)
    chosen = effective_preferences_resolve(PreferenceChoices(single={"audienceProfile": explicit.pk}))
    assert (chosen["audienceProfile"]["id"], chosen["audienceProfile"]["source"]) == (str(explicit.pk), "RunChoice")


def test_per_stage_items_apply_to_their_own_stage_only():
    behavior = preference_create(kind=KINDS_BY_KEY["aiBehaviorSettings"],
                                 data={"name": "Calm narration", "stage": "narration", "temperature": 0.2})
    preference_select(kind=KINDS_BY_KEY["aiBehaviorSettings"], item_id=behavior.pk)

    document = effective_preferences_resolve()

    assert document["aiBehavior"]["narration"]["values"]["temperature"] == 0.2
    assert document["aiBehavior"]["narration"]["source"] == "ActiveCustom"
    assert document["aiBehavior"]["script"]["source"] == "SystemDefault"


def test_the_hash_follows_the_content_not_the_source():
    custom = _profile("Makers", min_age=30, max_age=40)
    explicit = effective_preferences_resolve(PreferenceChoices(single={"audienceProfile": custom.pk}))
    preference_select(kind=PROFILES, item_id=custom.pk)
    active = effective_preferences_resolve()
    assert explicit["contentHash"] == active["contentHash"]

    preference_update(kind=PROFILES, item_id=custom.pk, data={"max_age": 41})
    assert effective_preferences_resolve()["contentHash"] != active["contentHash"]


def test_the_job_api_returns_the_frozen_preferences_even_after_the_item_changes(run_world, owner_api):
    custom = _profile("Makers", min_age=30, max_age=40)

    created = owner_api.post("/api/jobs", {"brief": "Soldering basics", "audienceProfileId": str(custom.pk)})
    assert created.status_code == 201, created.json()
    job_id = created.json()["jobId"]
    preference_update(kind=PROFILES, item_id=custom.pk, data={"min_age": 12})

    body = owner_api.get(f"/api/jobs/{job_id}").json()
    frozen = body["effectivePreferences"]
    assert frozen["audienceProfile"]["id"] == str(custom.pk)
    assert frozen["audienceProfile"]["values"]["minAge"] == 30
    assert frozen["contentHash"] == Job.objects.get(pk=job_id).effective_preferences["contentHash"]
    assert body["priceSnapshot"]["OpenAI:fake-gpt"]["costPer1KInputTokens"] == "0.002500"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"audienceProfileId": "00000000-0000-0000-0000-000000000000"}, "audienceProfileId"),
        ({"aiBehaviorIds": {"intro": "00000000-0000-0000-0000-000000000000"}}, "aiBehaviorIds.intro"),
        ({"filteringPolicyId": "not-a-uuid"}, "filteringPolicyId"),
    ],
)
def test_a_bad_per_run_choice_is_a_422_naming_the_field_and_creates_nothing(run_world, owner_api, body, field):
    response = owner_api.post("/api/jobs", {"brief": "Soldering basics", **body})

    assert response.status_code == 422
    assert field in str(response.json())
    assert not Job.objects.exists()


def test_an_item_of_another_stage_is_refused(run_world, owner_api):
    behavior = preference_create(kind=KINDS_BY_KEY["aiBehaviorSettings"], data={"name": "N", "stage": "narration"})

    response = owner_api.post("/api/jobs", {"brief": "x", "aiBehaviorIds": {"script": str(behavior.pk)}})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "aiBehaviorIds.script"


def test_a_brief_breaking_the_policy_chosen_for_the_run_is_refused(run_world, owner_api):
    policy = preference_create(kind=KINDS_BY_KEY["filteringPolicies"],
                               data={"name": "No casinos", "custom_banned_words": ["casino"]})

    response = owner_api.post("/api/jobs", {"brief": "A casino tour", "filteringPolicyId": str(policy.pk)})

    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "brief"
    assert not Job.objects.exists()
