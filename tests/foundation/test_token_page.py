"""The API tokens page: create (shown once), list, revoke — each user only their own."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client

from aura_site.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _raw(html: str) -> str:
    return re.search(r'id="new-token-value" value="([^"]+)"', html).group(1)


def test_a_token_created_on_the_page_is_shown_once_and_works(viewer):
    client = _client(viewer)
    response = client.post("/account/tokens/new/", {"name": "render farm"})
    assert response.status_code == HTTPStatus.CREATED and "no-store" in response["Cache-Control"]
    raw = _raw(response.content.decode())
    token = ApiToken.objects.get(user=viewer)
    assert token.name == "render farm" and token.digest == hash_token(raw) and raw.startswith(token.prefix)
    assert raw not in client.get("/account/tokens/").content.decode()  # never shown again
    me = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert me.status_code == 200 and me.json()["username"] == "viewer"


def test_the_list_shows_name_created_and_last_used(viewer):
    client = _client(viewer)
    raw = _raw(client.post("/account/tokens/new/", {"name": "ci"}).content.decode())
    Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    html = client.get("/account/tokens/").content.decode()
    row = html[html.index("<td>ci</td>"):]
    row = row[:row.index("</tr>")]
    assert ApiToken.objects.get().prefix in row and "never" not in row.split("</td>")[3] and "active" in row


def test_a_revoked_token_is_refused_at_once(viewer):
    client = _client(viewer)
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


def test_a_token_needs_a_name_and_the_error_is_tied_to_the_field(viewer):
    response = _client(viewer).post("/account/tokens/new/", {"name": "  "})
    html = response.content.decode()
    assert response.status_code == 422 and not ApiToken.objects.exists()
    assert 'aria-invalid="true"' in html and 'id="token-name-error"' in html


def test_signed_out_visitors_go_to_sign_in_and_cannot_create(viewer):
    assert Client().get("/account/tokens/")["Location"].startswith("/accounts/login/")
    assert Client().post("/account/tokens/new/", {"name": "x"}).status_code == HTTPStatus.FOUND
    assert not ApiToken.objects.exists()


def test_creating_needs_the_csrf_token(viewer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    assert client.post("/account/tokens/new/", {"name": "x"}).status_code == HTTPStatus.FORBIDDEN
