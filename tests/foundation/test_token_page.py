"""The API tokens page: administrators create (shown once); everyone lists and revokes only their own."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from aura_site.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def token_admin(django_user_model):
    """Not a superuser: holds the "add API token" permission, as an administrator's account may."""
    user = django_user_model.objects.create_user("tokenadmin", "ta@example.com", "tokenadmin-pass-123")
    user.user_permissions.set(Permission.objects.filter(codename="add_apitoken"))
    return user


def _raw(html: str) -> str:
    return re.search(r'id="new-token-value" value="([^"]+)"', html).group(1)


def test_a_token_created_on_the_page_is_shown_once_and_works(token_admin):
    client = _client(token_admin)
    response = client.post("/account/tokens/new/", {"name": "render farm"})
    assert response.status_code == HTTPStatus.CREATED and "no-store" in response["Cache-Control"]
    raw = _raw(response.content.decode())
    token = ApiToken.objects.get(user=token_admin)
    assert token.name == "render farm" and token.digest == hash_token(raw) and raw.startswith(token.prefix)
    assert raw not in client.get("/account/tokens/").content.decode()  # never shown again
    me = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["username"] == "tokenadmin"


def test_the_list_shows_name_created_and_last_used(token_admin):
    client = _client(token_admin)
    raw = _raw(client.post("/account/tokens/new/", {"name": "ci"}).content.decode())
    Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    html = client.get("/account/tokens/").content.decode()
    row = html[html.index("<td>ci</td>"):]
    row = row[:row.index("</tr>")]
    assert ApiToken.objects.get().prefix in row and "never" not in row.split("</td>")[3] and "active" in row


def test_a_revoked_token_is_refused_at_once(token_admin):
    client = _client(token_admin)
    raw = _raw(client.post("/account/tokens/new/", {"name": "ci"}).content.decode())
    token = ApiToken.objects.get()
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == HTTPStatus.FOUND
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == HTTPStatus.UNAUTHORIZED
    assert "revoked" in client.get("/account/tokens/").content.decode()


def test_nobody_revokes_or_sees_another_users_token(viewer, outsider):
    other, _ = ApiToken.issue(user=outsider, name="theirs")
    client = _client(viewer)
    assert client.post(f"/account/tokens/{other.pk}/revoke/").status_code == HTTPStatus.NOT_FOUND
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
    assert "theirs" not in client.get("/account/tokens/").content.decode()


def test_a_token_needs_a_name_and_the_error_is_tied_to_the_field(token_admin):
    response = _client(token_admin).post("/account/tokens/new/", {"name": "  "})
    html = response.content.decode()
    assert response.status_code == 422 and not ApiToken.objects.exists()
    assert 'aria-invalid="true"' in html and 'id="token-name-error"' in html


def test_signed_out_visitors_go_to_sign_in_and_cannot_create(token_admin):
    assert Client().get("/account/tokens/")["Location"].startswith("/accounts/login/")
    assert Client().post("/account/tokens/new/", {"name": "x"}).status_code == HTTPStatus.FOUND
    assert not ApiToken.objects.exists()


def test_creating_needs_the_csrf_token(token_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(token_admin)
    assert client.post("/account/tokens/new/", {"name": "x"}).status_code == HTTPStatus.FORBIDDEN


def test_viewers_and_editors_cannot_create_tokens_on_the_page(viewer, django_user_model):
    editor = django_user_model.objects.create_user("eddie", "e@example.com", "eddie-pass-123")
    editor.groups.add(Group.objects.get(name="Editors"))
    for user in (viewer, editor):
        client = _client(user)
        page = client.get("/account/tokens/").content.decode()
        assert "Create token" not in page and 'data-testid="tokens-by-administrators"' in page
        assert client.post("/account/tokens/new/", {"name": "mine"}).status_code == HTTPStatus.FORBIDDEN
    assert not ApiToken.objects.exists()


def test_a_viewer_still_sees_and_revokes_a_token_an_administrator_issued_to_them(viewer):
    token, raw = ApiToken.issue(user=viewer, name="issued")
    client = _client(viewer)
    assert "issued" in client.get("/account/tokens/").content.decode()
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == HTTPStatus.FOUND
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == HTTPStatus.UNAUTHORIZED
