"""A provider's base URL is stored trimmed and never carries credentials (API and admin form alike)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from models_selection.models import Provider

pytestmark = pytest.mark.django_db
PROVIDERS = "/api/models/providers"


@pytest.mark.parametrize("url", [
    "https://user:hunter2@api.openai.com/v1",
    "https://hunter2@api.openai.com/v1",
    "  https://user:hunter2@api.openai.com/v1  ",
])
def test_a_base_url_with_credentials_is_refused_naming_the_field(owner_api, viewer_api, url):
    before = Provider.objects.get(name="OpenAI").base_url

    response = owner_api.put(f"{PROVIDERS}/OpenAI", {"baseUrl": url})

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["baseUrl"] and "password" in body["errors"][0]["message"]
    assert "hunter2" not in response.content.decode()
    assert Provider.objects.get(name="OpenAI").base_url == before
    assert "hunter2" not in viewer_api.get(PROVIDERS).content.decode()


def test_a_new_endpoint_with_credentials_in_its_url_is_not_added(owner_api):
    response = owner_api.put(f"{PROVIDERS}/Together", {"baseUrl": "https://k:secret@api.together.test/v1"})

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert not Provider.objects.filter(name="Together").exists()


def test_spaces_around_a_base_url_are_trimmed(owner_api, viewer_api):
    response = owner_api.put(f"{PROVIDERS}/Together", {"baseUrl": "  https://api.together.test/v1 \t"})

    assert response.status_code == HTTPStatus.OK and response.json()["baseUrl"] == "https://api.together.test/v1"
    assert Provider.objects.get(name="Together").base_url == "https://api.together.test/v1"
    shown = next(p for p in viewer_api.get(PROVIDERS).json()["items"] if p["name"] == "Together")
    assert shown["baseUrl"] == "https://api.together.test/v1"


def test_a_base_url_of_only_spaces_is_the_default_again(owner_api):
    owner_api.put(f"{PROVIDERS}/OpenAI", {"baseUrl": "https://example.test/v1"})

    response = owner_api.put(f"{PROVIDERS}/OpenAI", {"baseUrl": "   "})

    assert response.status_code == HTTPStatus.OK and Provider.objects.get(name="OpenAI").base_url == ""


def test_a_new_endpoint_needs_more_than_spaces_as_its_url(owner_api):
    response = owner_api.put(f"{PROVIDERS}/Together", {"baseUrl": "   "})

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["errors"][0]["field"] == "baseUrl"


def test_the_admin_form_refuses_credentials_in_the_base_url(client, owner):
    provider = Provider.objects.get(name="OpenAI")
    client.force_login(owner)
    form = {"name": "OpenAI", "kind": provider.kind, "base_url": "https://user:hunter2@api.openai.com/v1",
            "needs_api_key": "on", "enabled": "on", "api_key": ""}

    response = client.post(f"/admin/models_selection/provider/{provider.pk}/change/", form)

    assert response.status_code == HTTPStatus.OK and "user name or password" in response.content.decode()
    assert Provider.objects.get(name="OpenAI").base_url == provider.base_url
