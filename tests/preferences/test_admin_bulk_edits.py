"""Admin bulk edits: favorites both ways, presets named when selected for deletion, list fields typed as
a comma-separated list or as JSON."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from preferences.models import ContentFilteringPolicy, CustomAudienceProfile

pytestmark = pytest.mark.django_db

POLICIES = "/admin/preferences/contentfilteringpolicy/"
PROFILES = "/admin/preferences/customaudienceprofile/"


@pytest.fixture
def admin_client_for_owner(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def test_remove_from_favorites_sits_beside_mark_as_favorite(admin_client_for_owner):
    client = admin_client_for_owner
    items = [CustomAudienceProfile.objects.create(name=f"p{i}", is_favorite=True) for i in range(2)]
    page = client.get(PROFILES).content.decode()
    assert "Mark selected as favorite" in page and "Remove selected from favorites" in page
    response = client.post(PROFILES, {"action": "remove_favorite", "_selected_action": [str(items[0].pk)]},
                           follow=True)
    assert "Removed 1 from favorites." in response.content.decode()
    assert [p.is_favorite for p in CustomAudienceProfile.objects.filter(name__in=["p0", "p1"]).order_by("name")] \
        == [False, True]


def test_deleting_a_selection_with_a_preset_names_the_preset_and_deletes_nothing(admin_client_for_owner):
    client = admin_client_for_owner
    preset = ContentFilteringPolicy.objects.filter(is_preset=True).first()
    mine = ContentFilteringPolicy.objects.create(name="Mine")
    response = client.post(POLICIES, {"action": "delete_selected",
                                      "_selected_action": [str(preset.pk), str(mine.pk)]}, follow=True)
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert f"Presets are read-only and cannot be deleted: {preset.name}" in page
    assert "have permission" not in page
    assert ContentFilteringPolicy.objects.filter(pk__in=[preset.pk, mine.pk]).count() == 2


def test_deleting_a_selection_without_presets_still_asks_for_confirmation_and_deletes(admin_client_for_owner):
    client = admin_client_for_owner
    mine = ContentFilteringPolicy.objects.create(name="Mine")
    confirm = client.post(POLICIES, {"action": "delete_selected", "_selected_action": [str(mine.pk)]})
    assert "Are you sure" in confirm.content.decode()
    client.post(POLICIES, {"action": "delete_selected", "_selected_action": [str(mine.pk)], "post": "yes"})
    assert not ContentFilteringPolicy.objects.filter(pk=mine.pk).exists()


def _form_data(client, url: str) -> dict:
    form = client.get(url).context["adminform"].form
    return {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}


@pytest.mark.parametrize(("typed", "saved"), [
    ("science, teens ,  school", ["science", "teens", "school"]),
    ('["science", "teens, older"]', ["science", "teens, older"]),
    ("solo", ["solo"]),
    ("", []),
])
def test_list_fields_accept_a_comma_separated_list_or_json(admin_client_for_owner, typed, saved):
    client = admin_client_for_owner
    data = _form_data(client, f"{PROFILES}add/")
    data.update({"name": "Listed", "tags": typed, "topics_to_avoid": typed})
    response = client.post(f"{PROFILES}add/", data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]
    profile = CustomAudienceProfile.objects.get(name="Listed")
    assert profile.tags == saved and profile.topics_to_avoid == saved


def test_a_broken_json_list_is_refused_with_the_field_named(admin_client_for_owner):
    client = admin_client_for_owner
    data = _form_data(client, f"{PROFILES}add/")
    data.update({"name": "Broken", "tags": '["a", '})
    response = client.post(f"{PROFILES}add/", data)
    assert response.status_code == HTTPStatus.OK
    assert "tags" in response.context["adminform"].form.errors
    assert not CustomAudienceProfile.objects.filter(name="Broken").exists()
