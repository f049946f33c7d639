"""Select, clone, filtering checks, prompt templates, query counts and admin."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from preferences import checks
from preferences.kinds import KINDS, KINDS_BY_KEY
from preferences.models import ContentFilteringPolicy, CustomAudienceProfile

pytestmark = pytest.mark.django_db
BASE = "/api/user-preferences"


def _policy(owner_api, **fields):
    response = owner_api.post(f"{BASE}/filtering-policies", {"name": "P", "profanityFilter": "Off", **fields})
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def test_selecting_an_item_makes_it_active_and_deleting_it_clears_the_selection(owner_api):
    created = owner_api.post(f"{BASE}/audience-profiles", {"name": "Mine"}).json()
    assert owner_api.get(f"{BASE}/active").json()["audienceProfiles"] is None
    assert owner_api.post(f"{BASE}/audience-profiles/{created['id']}/select").status_code == HTTPStatus.OK
    assert owner_api.get(f"{BASE}/active").json()["audienceProfiles"] == {"id": created["id"], "name": "Mine"}
    owner_api.delete(f"{BASE}/audience-profiles/{created['id']}")
    assert owner_api.get(f"{BASE}/active").json()["audienceProfiles"] is None


def test_a_preset_is_cloned_into_an_editable_copy(owner_api):
    preset = CustomAudienceProfile.objects.get(name="Gen Z Social")
    response = owner_api.post(f"{BASE}/audience-profiles/{preset.pk}/clone")
    assert response.status_code == HTTPStatus.CREATED
    copy = response.json()
    assert copy["name"] == "Gen Z Social (copy)" and copy["isPreset"] is False
    assert copy["attentionSpanSeconds"] == 15 and copy["humorStyle"] == "Heavy"
    assert owner_api.put(f"{BASE}/audience-profiles/{copy['id']}", {"sarcasmLevel": 2}).status_code == 200
    named = owner_api.post(f"{BASE}/audience-profiles/{preset.pk}/clone", {"name": "Zoomers"}).json()
    assert named["name"] == "Zoomers"


def test_the_check_finds_banned_words_as_whole_words_case_insensitively(owner_api):
    policy = _policy(owner_api, customBannedWords=["beer"], bannedTopics=["gambling"], blockedBrands=["Acme"])
    result = owner_api.post(f"{BASE}/filtering-policies/{policy['id']}/check",
                            {"text": "Beer and GAMBLING at acme; beers are fine"}).json()
    assert result["allowed"] is False
    assert [(v["rule"], v["term"], v["start"], v["end"]) for v in result["violations"]] == [
        ("bannedWord", "beer", 0, 4),
        ("bannedTopic", "gambling", 9, 17),
        ("blockedBrand", "Acme", 21, 25),
    ]


def test_allow_lists_override_block_lists(owner_api):
    policy = _policy(owner_api, blockedConcepts=["weapons"], allowedConcepts=["Weapons"],
                     customBannedWords=["darn"], customAllowedWords=["darn"])
    result = owner_api.post(f"{BASE}/filtering-policies/{policy['id']}/check", {"text": "darn weapons"}).json()
    assert result == {"allowed": True, "violations": [], "message": "The text passes policy 'P'."}


def test_the_profanity_level_uses_the_maintained_word_list(owner_api):
    strict = _policy(owner_api, profanityFilter="Strict")
    result = owner_api.post(f"{BASE}/filtering-policies/{strict['id']}/check", {"text": "what the hell"}).json()
    assert [v["term"] for v in result["violations"]] == ["hell"]
    off = owner_api.post(f"{BASE}/filtering-policies", {"name": "Off", "profanityFilter": "Off"}).json()
    assert owner_api.post(f"{BASE}/filtering-policies/{off['id']}/check", {"text": "what the hell"}).json()["allowed"]


@pytest.mark.parametrize("switch", [{"filteringEnabled": False}, {"allowOverrideAll": True}])
def test_disabled_or_unrestricted_policies_allow_everything_and_say_so(owner_api, switch):
    policy = _policy(owner_api, customBannedWords=["beer"], **switch)
    result = owner_api.post(f"{BASE}/filtering-policies/{policy['id']}/check", {"text": "beer"}).json()
    assert result["allowed"] is True and result["violations"] == []
    assert "everything is allowed" in result["message"] or "bypassed" in result["message"]


def test_the_active_policy_check_is_none_until_a_policy_is_selected(owner_api):
    assert checks.active_policy_check(text="beer") is None
    policy = _policy(owner_api, customBannedWords=["beer"])
    owner_api.post(f"{BASE}/filtering-policies/{policy['id']}/select")
    assert checks.active_policy_check(text="beer").allowed is False


def test_a_template_renders_and_a_missing_variable_is_named(owner_api):
    template = owner_api.post(f"{BASE}/prompt-templates",
                              {"name": "T", "templateText": "A {{duration}} video on {{topic}}"}).json()
    url = f"{BASE}/prompt-templates/{template['id']}/render"
    ok = owner_api.post(url, {"variables": {"topic": "tides", "duration": "60s"}})
    assert ok.json() == {"text": "A 60s video on tides"}
    missing = owner_api.post(url, {"variables": {"topic": "tides"}})
    assert missing.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert missing.json()["errors"][0]["field"] == "variables.duration"


def test_ab_outcomes_are_counted_per_variant(owner_api):
    ids = []
    for name in ("A", "B"):
        ids.append(owner_api.post(f"{BASE}/prompt-templates",
                                  {"name": name, "templateText": "{{topic}}", "variantGroup": "hook"}).json()["id"])
    for template_id, outcomes in zip(ids, [(True, True, False), (True, False, False)], strict=True):
        for success in outcomes:
            owner_api.post(f"{BASE}/prompt-templates/{template_id}/outcome", {"success": success})
    group = owner_api.get(f"{BASE}/prompt-templates/variant-groups/hook").json()
    assert [(v["name"], v["trials"], v["successRate"]) for v in group["variants"]] == [
        ("A", 3, 0.6667), ("B", 3, 0.3333)]
    assert group["bestVariantId"] == ids[0]


def test_the_viewer_reads_but_cannot_write(viewer_api):
    assert viewer_api.get(f"{BASE}/audience-profiles").status_code == HTTPStatus.OK
    assert viewer_api.post(f"{BASE}/audience-profiles", {"name": "X"}).status_code == HTTPStatus.FORBIDDEN
    assert CustomAudienceProfile.objects.filter(name="X").count() == 0


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.slug)
def test_a_list_runs_the_same_queries_for_1_and_200_items(owner_api, kind, django_assert_max_num_queries):
    kind.model.objects.all().delete()
    extra = {"template_text": "{{topic}}"} if kind.key == "promptTemplates" else {}
    kind.model.objects.create(name="one", **extra)
    owner_api.get(f"{BASE}/{kind.slug}")  # the token's first use records last_used_at
    # Token lookup, count, page.
    with django_assert_max_num_queries(3):
        assert owner_api.get(f"{BASE}/{kind.slug}", {"limit": 500}).json()["count"] == 1
    kind.model.objects.bulk_create([kind.model(name=f"item {i}", **extra) for i in range(199)])
    with django_assert_max_num_queries(3):
        assert len(owner_api.get(f"{BASE}/{kind.slug}", {"limit": 500}).json()["items"]) == 200


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.slug)
def test_admin_lists_and_edit_pages_load_and_enforce_the_rules(owner, kind):
    client = Client()
    client.force_login(owner)
    opts = kind.model._meta
    assert client.get(f"/admin/{opts.app_label}/{opts.model_name}/").status_code == HTTPStatus.OK
    assert client.get(f"/admin/{opts.app_label}/{opts.model_name}/add/").status_code == HTTPStatus.OK


def test_admin_refuses_an_invalid_profile(owner):
    client = Client()
    client.force_login(owner)
    page = client.get("/admin/preferences/customaudienceprofile/add/")
    form = page.context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data.update({"name": "Bad ages", "min_age": 50, "max_age": 20})
    response = client.post("/admin/preferences/customaudienceprofile/add/", data)
    assert response.status_code == HTTPStatus.OK  # re-rendered with errors
    assert "must be ≤ maxAge" in response.content.decode()
    assert not CustomAudienceProfile.objects.filter(name="Bad ages").exists()


def test_admin_bulk_actions_mark_favorite_clone_and_export(owner):
    client = Client()
    client.force_login(owner)
    kind = KINDS_BY_KEY["filteringPolicies"]
    preset = ContentFilteringPolicy.objects.get(name="Professional")
    url = "/admin/preferences/contentfilteringpolicy/"
    client.post(url, {"action": "clone_selected", "_selected_action": [str(preset.pk)]})
    copy = ContentFilteringPolicy.objects.get(name="Professional (copy)")
    client.post(url, {"action": "mark_favorite", "_selected_action": [str(copy.pk)]})
    copy.refresh_from_db()
    assert copy.is_favorite
    exported = client.post(url, {"action": "export_selected", "_selected_action": [str(copy.pk)]})
    assert exported.json()[kind.key][0]["name"] == "Professional (copy)"
